fn main() {
    println!("dqmig");
}
