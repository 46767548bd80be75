//! `#[derive(DbEnum)]`: a fieldless Rust enum as a model field type, stored as the text of
//! its variant's name (or `#[dqmig(rename = "...")]`, or the enum's `rename_all`), declared
//! `enum('a','b',...)` as the type mapper spells it (a TEXT column with a CHECK listing the
//! values).

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, LitStr};

const RENAME_ALL: [&str; 3] = ["snake_case", "lowercase", "UPPERCASE"];

pub fn derive(input: DeriveInput) -> syn::Result<TokenStream> {
    let name = &input.ident;
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "#[derive(DbEnum)] does not support generic enums",
        ));
    }
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            name,
            "#[derive(DbEnum)] is for fieldless enums (`enum Status { Draft, Published }`); a struct is a #[derive(Model)]",
        ));
    };
    if data.variants.is_empty() {
        return Err(syn::Error::new_spanned(
            name,
            "#[derive(DbEnum)] needs at least one variant",
        ));
    }
    let mut rename_all: Option<String> = None;
    for attr in &input.attrs {
        if !attr.path().is_ident("dqmig") {
            continue;
        }
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename_all") {
                let lit: LitStr = meta.value()?.parse()?;
                if !RENAME_ALL.contains(&lit.value().as_str()) {
                    return Err(syn::Error::new_spanned(
                        &lit,
                        format!(
                            "unknown rename_all = \"{}\"; expected one of: {}",
                            lit.value(),
                            RENAME_ALL.join(", ")
                        ),
                    ));
                }
                rename_all = Some(lit.value());
                Ok(())
            } else {
                Err(meta.error("unknown enum attribute; expected `rename_all = \"snake_case\"`"))
            }
        })?;
    }
    let mut variants = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for v in &data.variants {
        if !matches!(v.fields, Fields::Unit) {
            return Err(syn::Error::new_spanned(
                v,
                format!(
                    "variant `{}` has fields; #[derive(DbEnum)] stores fieldless variants only",
                    v.ident
                ),
            ));
        }
        let mut stored = match rename_all.as_deref() {
            Some("snake_case") => crate::model::snake_case(&v.ident.to_string()),
            Some("lowercase") => v.ident.to_string().to_lowercase(),
            Some("UPPERCASE") => v.ident.to_string().to_uppercase(),
            _ => v.ident.to_string(),
        };
        for attr in &v.attrs {
            if !attr.path().is_ident("dqmig") {
                continue;
            }
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    let lit: LitStr = meta.value()?.parse()?;
                    if lit.value().trim().is_empty() {
                        return Err(syn::Error::new_spanned(&lit, "the stored name is empty"));
                    }
                    stored = lit.value();
                    Ok(())
                } else {
                    Err(meta
                        .error("unknown variant attribute; expected `rename = \"stored name\"`"))
                }
            })?;
        }
        if names.contains(&stored) {
            return Err(syn::Error::new_spanned(
                v,
                format!("two variants are stored as \"{stored}\"; give one a different #[dqmig(rename = \"...\")]"),
            ));
        }
        names.push(stored.clone());
        variants.push((v.ident.clone(), stored));
    }
    let quoted: Vec<String> = names
        .iter()
        .map(|n| format!("'{}'", n.replace('\'', "''")))
        .collect();
    let declared = format!("enum({})", quoted.join(","));
    let expected = format!("one of {}", quoted.join(", "));
    let orm = quote!(::dqmig::orm);
    let to = variants
        .iter()
        .map(|(ident, stored)| quote!(#name::#ident => #stored));
    let from = variants
        .iter()
        .map(|(ident, stored)| quote!(#stored => return ::core::result::Result::Ok(#name::#ident)));
    Ok(quote! {
        impl #orm::FieldType for #name {
            const DECLARED: &'static str = #declared;
            fn to_value(&self) -> #orm::Value {
                #orm::Value::Text(::std::string::String::from(match self { #(#to),* }))
            }
            fn from_value(value: &#orm::Value) -> ::core::result::Result<Self, #orm::__private::ValueError> {
                if let #orm::Value::Text(text) = value {
                    match text.as_str() {
                        #(#from,)*
                        _ => {}
                    }
                }
                #orm::__private::mismatch(#expected, value)
            }
        }
    })
}
