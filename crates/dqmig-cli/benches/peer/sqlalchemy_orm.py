"""The SQLAlchemy 2.x ORM peer of `benches/orm.rs`: the same work on the same node.

Usage: python sqlalchemy_orm.py ADDRESS DATABASE [--scale N]
(ADDRESS is host:port of a dqlite node; DATABASE is created by the first statement.)

It drops and creates tables `users` and `posts` in DATABASE, then measures, in order:
  bulk_insert  100,000 posts in one session.execute(insert(Post), [...]) + commit (rows/s)
  select_in    1,000 users with selectinload(User.posts), 10 posts each (seconds, queries)
  joined       the same with joinedload(User.posts) (seconds, queries)
  structs      10,000 posts as ORM objects (seconds, peak bytes by tracemalloc)
  raw_rows     10,000 posts as DBAPI rows through the same engine (seconds, peak bytes)
  point_reads  session.get(User, k) with an empty identity map each time (reads/s, one connection)
and prints one JSON object on stdout. `--scale N` divides every row count by N (for a quick try).
"""

import json
import sys
import time
import tracemalloc

from sqlalchemy import ForeignKey, String, create_engine, event, insert, select, text
from sqlalchemy.orm import strategies
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    joinedload,
    mapped_column,
    relationship,
    selectinload,
)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255), unique=True)
    posts: Mapped[list["Post"]] = relationship(back_populates="author")


class Post(Base):
    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str]
    author: Mapped[User] = relationship(back_populates="posts")


def main() -> None:
    # SQLAlchemy's select-in loading binds 500 keys per IN list; dqlite takes at most 255
    # parameters per statement, so unpatched it fails on 1,000 parents ("not an error").
    # Lowered to 250 here so the peer can run at all.
    loader = getattr(strategies, "SelectInLoader", None) or strategies._SelectInLoader
    loader._chunksize = 250

    address, database = sys.argv[1], sys.argv[2]
    scale = int(sys.argv[sys.argv.index("--scale") + 1]) if "--scale" in sys.argv else 1
    bulk_rows, users, per_user, load_rows, reads = (
        100_000 // scale,
        1_000 // scale,
        10,
        10_000 // scale,
        5_000 // scale,
    )
    queries = [0]

    def count(*_args):
        queries[0] += 1

    out = {"peer": "sqlalchemy", "version": __import__("sqlalchemy").__version__}
    rows = [
        {"user_id": 1 + i % users, "title": f"post {i}", "body": "lorem ipsum " * 4}
        for i in range(bulk_rows)
    ]

    def seeded(db, posts):
        """Database `db` with the users, then `posts` rows in one bulk insert (timed)."""
        eng = create_engine(f"dqlite://{address}/{db}")
        event.listen(eng, "before_cursor_execute", count)
        Base.metadata.drop_all(eng)
        Base.metadata.create_all(eng)
        with Session(eng) as s:
            s.execute(
                insert(User),
                [{"name": f"user {i}", "email": f"u{i}@example.com"} for i in range(1, users + 1)],
            )
            s.commit()
        start = time.perf_counter()
        with Session(eng) as s:
            s.execute(insert(Post), rows[:posts])
            s.commit()
        return eng, time.perf_counter() - start

    _, elapsed = seeded(database, bulk_rows)
    out["bulk_insert"] = {"rows": bulk_rows, "seconds": elapsed, "rows_per_s": bulk_rows / elapsed}

    # The loading measurements on a second database with exactly `per_user` posts per user
    # (emptying the first one's posts overflows libdqlite 1.11.1's page cache).
    engine, _ = seeded(f"{database}_load", users * per_user)

    for name, option in (("select_in", selectinload), ("joined", joinedload)):
        with Session(engine) as s:
            before = queries[0]
            start = time.perf_counter()
            loaded = s.scalars(select(User).options(option(User.posts)).order_by(User.id)).unique().all()
            elapsed = time.perf_counter() - start
            posts = sum(len(u.posts) for u in loaded)
            assert len(loaded) == users and posts == users * per_user, (len(loaded), posts)
            out[name] = {"users": users, "posts": posts, "seconds": elapsed, "queries": queries[0] - before}

    with Session(engine) as s:
        s.execute(text("DELETE FROM posts"))
        s.execute(insert(Post), [dict(r) for r in rows[:load_rows]])
        s.commit()

    def measure(load):
        tracemalloc.start()
        start = time.perf_counter()
        held = load()
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert len(held) == load_rows, len(held)
        return {"rows": load_rows, "seconds": elapsed, "peak_bytes": peak}

    with Session(engine) as s:
        out["structs"] = measure(lambda: s.scalars(select(Post)).all())
    with engine.connect() as c:
        out["raw_rows"] = measure(lambda: c.execute(text("SELECT * FROM posts")).fetchall())

    with Session(engine) as s:
        start = time.perf_counter()
        for i in range(reads):
            user = s.get(User, 1 + i % users)
            assert user is not None
            s.expunge(user)
        elapsed = time.perf_counter() - start
    out["point_reads"] = {"reads": reads, "seconds": elapsed, "reads_per_s": reads / elapsed}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
