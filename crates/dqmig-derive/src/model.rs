//! `#[derive(Model)]`: reads the struct's `#[dqmig(...)]` attributes and generates the
//! `dqmig::orm::Model` impl (a static table description, values in column order, reading a
//! row, the primary key and the rowid write-back) and one typed column constant per field.
//! Everything that can be checked without the type mapper is checked here, as a compile
//! error at the attribute; the declared types and defaults are checked by `MetaData`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, LitStr, Type};

/// The foreign key actions `on_delete`/`on_update` accept (as `FkAction::parse` does).
const ACTIONS: [&str; 5] = [
    "cascade",
    "restrict",
    "set null",
    "set default",
    "no action",
];

struct Field {
    ident: syn::Ident,
    ty: Type,
    column: String,
    primary_key: bool,
    unique: bool,
    index: bool,
    default: Option<String>,
    references: Option<String>,
    on_delete: Option<String>,
    on_update: Option<String>,
    sql_type: Option<String>,
}

pub fn derive(input: DeriveInput) -> syn::Result<TokenStream> {
    let name = &input.ident;
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "#[derive(Model)] does not support generic structs",
        ));
    }
    let mut table = None;
    for attr in &input.attrs {
        if !attr.path().is_ident("dqmig") {
            continue;
        }
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("table") {
                let lit: LitStr = meta.value()?.parse()?;
                if lit.value().trim().is_empty() {
                    return Err(syn::Error::new_spanned(&lit, "the table name is empty"));
                }
                table = Some(lit.value());
                Ok(())
            } else {
                Err(meta.error("unknown model attribute; expected `table = \"name\"`"))
            }
        })?;
    }
    let table = table.unwrap_or_else(|| snake_case(&name.to_string()));
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            Span::call_site(),
            "#[derive(Model)] works on structs with named fields",
        ));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new_spanned(
            &data.fields,
            "#[derive(Model)] needs named fields (one per column)",
        ));
    };
    let mut fields = Vec::new();
    for f in &named.named {
        fields.push(field(f)?);
    }
    if fields.is_empty() {
        return Err(syn::Error::new(
            Span::call_site(),
            "a model needs at least one field",
        ));
    }
    for (i, f) in fields.iter().enumerate() {
        if let Some(other) = fields[..i]
            .iter()
            .find(|o| o.column.eq_ignore_ascii_case(&f.column))
        {
            return Err(syn::Error::new(
                f.ident.span(),
                format!(
                    "column `{}` is used by fields `{}` and `{}`; column names must be unique (case-insensitively)",
                    f.column, other.ident, f.ident
                ),
            ));
        }
    }
    Ok(expand(name, &table, &fields))
}

fn field(f: &syn::Field) -> syn::Result<Field> {
    let Some(ident) = f.ident.clone() else {
        return Err(syn::Error::new_spanned(f, "fields must be named"));
    };
    let mut out = Field {
        column: ident.to_string().trim_start_matches("r#").to_string(),
        ident,
        ty: f.ty.clone(),
        primary_key: false,
        unique: false,
        index: false,
        default: None,
        references: None,
        on_delete: None,
        on_update: None,
        sql_type: None,
    };
    for attr in &f.attrs {
        if !attr.path().is_ident("dqmig") {
            continue;
        }
        attr.parse_nested_meta(|meta| {
            let string = |meta: &syn::meta::ParseNestedMeta| -> syn::Result<LitStr> {
                let lit: LitStr = meta.value()?.parse()?;
                if lit.value().trim().is_empty() {
                    return Err(syn::Error::new_spanned(&lit, "the value is empty"));
                }
                Ok(lit)
            };
            let key = meta
                .path
                .get_ident()
                .map(|i| i.to_string())
                .unwrap_or_default();
            match key.as_str() {
                "column" => out.column = string(&meta)?.value(),
                "primary_key" => out.primary_key = true,
                "unique" => out.unique = true,
                "index" => out.index = true,
                "default" => out.default = Some(string(&meta)?.value()),
                "sql_type" => out.sql_type = Some(string(&meta)?.value()),
                "references" => {
                    let lit = string(&meta)?;
                    let v = lit.value();
                    match v.rsplit_once('.') {
                        Some((t, c)) if !t.trim().is_empty() && !c.trim().is_empty() => {}
                        _ => {
                            return Err(syn::Error::new_spanned(
                                &lit,
                                format!("references = \"{v}\" is not `table.column`, e.g. \"users.id\""),
                            ))
                        }
                    }
                    out.references = Some(v);
                }
                "on_delete" | "on_update" => {
                    let lit = string(&meta)?;
                    let v = lit.value();
                    let norm = v.trim().to_ascii_lowercase().replace(['_', '-'], " ");
                    if !ACTIONS.contains(&norm.as_str()) {
                        return Err(syn::Error::new_spanned(
                            &lit,
                            format!("unknown foreign key action \"{v}\"; expected one of: {}", ACTIONS.join(", ")),
                        ));
                    }
                    if key == "on_delete" {
                        out.on_delete = Some(v);
                    } else {
                        out.on_update = Some(v);
                    }
                }
                _ => {
                    return Err(meta.error(
                        "unknown field attribute; expected one of: column, primary_key, unique, index, default, references, on_delete, on_update, sql_type",
                    ))
                }
            }
            Ok(())
        })?;
    }
    if (out.on_delete.is_some() || out.on_update.is_some()) && out.references.is_none() {
        return Err(syn::Error::new(
            out.ident.span(),
            format!(
                "field `{}` has on_delete/on_update but no `references = \"table.column\"`",
                out.ident
            ),
        ));
    }
    Ok(out)
}

fn opt(v: &Option<String>) -> TokenStream {
    match v {
        Some(s) => quote!(::core::option::Option::Some(#s)),
        None => quote!(::core::option::Option::None),
    }
}

fn expand(name: &syn::Ident, table: &str, fields: &[Field]) -> TokenStream {
    let rust_name = name.to_string();
    let orm = quote!(::dqmig::orm);
    // Each field's type must be a supported column type; the check is a function named after
    // the field, so the compiler's message names the field as well as the type.
    let checks = fields.iter().map(|f| {
        let check = format_ident!(
            "field_{}_has_a_supported_type",
            f.ident.to_string().trim_start_matches("r#")
        );
        let ty = &f.ty;
        quote_spanned! {ty.span()=>
            #[allow(non_snake_case)]
            fn #check<T: #orm::FieldType>() {}
            #check::<#ty>();
        }
    });
    let columns = fields.iter().map(|f| {
        let (field, column, ty) = (f.ident.to_string(), &f.column, &f.ty);
        let field = field.trim_start_matches("r#");
        let (pk, unique, index) = (f.primary_key, f.unique, f.index);
        let sql_type = opt(&f.sql_type);
        let default = opt(&f.default);
        let references = opt(&f.references);
        let on_delete = opt(&f.on_delete);
        let on_update = opt(&f.on_update);
        quote! {
            #orm::ColumnDef {
                field: #field,
                name: #column,
                rust_type: <#ty as #orm::FieldType>::DECLARED,
                sql_type: #sql_type,
                nullable: <#ty as #orm::FieldType>::NULLABLE,
                primary_key: #pk,
                unique: #unique,
                index: #index,
                default: #default,
                references: #references,
                on_delete: #on_delete,
                on_update: #on_update,
            }
        }
    });
    let to_values = fields.iter().map(|f| {
        let (ident, ty) = (&f.ident, &f.ty);
        quote!(<#ty as #orm::FieldType>::to_value(&self.#ident))
    });
    let from_values = fields.iter().enumerate().map(|(i, f)| {
        let ident = &f.ident;
        quote!(#ident: #orm::__private::field::<Self, _>(values, #i)?)
    });
    let pk: Vec<&Field> = fields.iter().filter(|f| f.primary_key).collect();
    let key_values = pk.iter().map(|f| {
        let (ident, ty) = (&f.ident, &f.ty);
        quote!(<#ty as #orm::FieldType>::to_value(&self.#ident))
    });
    let set_rowid = match pk.as_slice() {
        [only] => {
            let ident = &only.ident;
            let i = fields
                .iter()
                .position(|f| f.ident == only.ident)
                .unwrap_or(0);
            quote! {
                self.#ident = #orm::__private::rowid::<Self, _>(rowid, #i)?;
                ::core::result::Result::Ok(())
            }
        }
        _ => quote!(::core::result::Result::Ok(())),
    };
    let consts = fields.iter().enumerate().map(|(i, f)| {
        let konst = format_ident!(
            "{}",
            f.ident
                .to_string()
                .trim_start_matches("r#")
                .to_ascii_uppercase()
        );
        let (ty, column) = (&f.ty, &f.column);
        let doc = format!("The `{column}` column, for queries.");
        quote! {
            #[doc = #doc]
            pub const #konst: #orm::Column<#name, #ty> = #orm::Column::new(#column, #i);
        }
    });
    quote! {
        const _: () = {
            #[allow(dead_code)]
            fn __dqmig_check_field_types() {
                #(#checks)*
            }
        };

        impl #orm::Model for #name {
            const TABLE: #orm::TableDef = #orm::TableDef {
                rust_name: #rust_name,
                name: #table,
                columns: &[#(#columns),*],
            };

            fn to_values(&self) -> ::std::vec::Vec<#orm::Value> {
                ::std::vec![#(#to_values),*]
            }

            fn from_values(values: &[#orm::Value]) -> ::core::result::Result<Self, #orm::OrmError> {
                #orm::__private::check_width::<Self>(values)?;
                ::core::result::Result::Ok(#name { #(#from_values),* })
            }

            fn primary_key(&self) -> ::std::vec::Vec<#orm::Value> {
                ::std::vec![#(#key_values),*]
            }

            fn set_rowid(&mut self, rowid: i64) -> ::core::result::Result<(), #orm::OrmError> {
                #set_rowid
            }
        }

        #[allow(dead_code)]
        impl #name {
            #(#consts)*
        }
    }
}

/// `UserAccount` → `user_account`, `HTTPLog` → `http_log`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if i > 0 && (prev_lower || (next_lower && chars[i - 1].is_uppercase())) {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn snake_case_names() {
        for (i, o) in [
            ("User", "user"),
            ("UserAccount", "user_account"),
            ("HTTPLog", "http_log"),
            ("Post2Tag", "post2_tag"),
            ("already_snake", "already_snake"),
        ] {
            assert_eq!(snake_case(i), o, "{i}");
        }
    }
}
