//! `#[guarded]`, the one procedural macro of Mainspring. Put it above a handler's
//! `#[utoipa::path(...)]`: it reads the role policy from the handler's first argument,
//! `Allowed<P>`, and makes the handler's OpenAPI operation take its security requirement
//! (and its 401/403 answers) from `P` through `crate::auth::policy::document`. The roles
//! a request is checked against and the roles the document lists are thus one type.
//!
//! How: the `utoipa::path` attribute gets `impl_for = __doc_{handler}`, so utoipa
//! describes the operation on that hidden type instead of on the handler; the handler's
//! own `utoipa::Path` implementation, which utoipa-actix-web collects when the handler
//! is registered, wraps it and applies the policy. Nothing else about the handler
//! changes (actix-web's `#[get]`/`#[post]` still register it).

use proc_macro::TokenStream;
use quote::{format_ident, quote};
use syn::{
    parse_macro_input, spanned::Spanned, FnArg, GenericArgument, ItemFn, Meta, PathArguments, Type,
};

#[proc_macro_attribute]
pub fn guarded(attr: TokenStream, item: TokenStream) -> TokenStream {
    if !attr.is_empty() {
        return syn::Error::new(
            proc_macro2::TokenStream::from(attr).span(),
            "#[guarded] takes no arguments: the policy is the handler's `Allowed<P>` argument",
        )
        .to_compile_error()
        .into();
    }
    let mut handler = parse_macro_input!(item as ItemFn);
    match expand(&mut handler) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand(handler: &mut ItemFn) -> syn::Result<proc_macro2::TokenStream> {
    let policy = policy_of(handler)?;
    let ident = handler.sig.ident.clone();
    let doc = format_ident!("__doc_{}", ident);

    let mut described = false;
    for attr in &mut handler.attrs {
        let path = attr.path();
        let is_utoipa_path = path.segments.len() == 2
            && path.segments[0].ident == "utoipa"
            && path.segments[1].ident == "path";
        if !is_utoipa_path {
            continue;
        }
        let Meta::List(list) = &mut attr.meta else {
            return Err(syn::Error::new(
                attr.span(),
                "expected #[utoipa::path(...)]",
            ));
        };
        let tokens = &list.tokens;
        list.tokens = if tokens.is_empty() {
            quote!(impl_for = #doc)
        } else {
            quote!(#tokens, impl_for = #doc)
        };
        described = true;
    }
    if !described {
        return Err(syn::Error::new(
            handler.sig.ident.span(),
            "#[guarded] goes above the handler's #[utoipa::path(...)]",
        ));
    }

    Ok(quote! {
        #handler

        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #[derive(Clone)]
        pub struct #doc;

        impl<'t> ::utoipa::__dev::Tags<'t> for #ident {
            fn tags() -> Vec<&'t str> {
                <#doc as ::utoipa::__dev::Tags<'t>>::tags()
            }
        }

        impl ::utoipa::Path for #ident {
            fn path() -> String {
                <#doc as ::utoipa::Path>::path()
            }
            fn methods() -> Vec<::utoipa::openapi::path::HttpMethod> {
                <#doc as ::utoipa::Path>::methods()
            }
            fn operation() -> ::utoipa::openapi::path::Operation {
                crate::auth::policy::document::<#policy>(<#doc as ::utoipa::Path>::operation())
            }
        }

        impl ::utoipa::__dev::SchemaReferences for #ident {
            fn schemas(
                schemas: &mut Vec<(
                    String,
                    ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema>,
                )>,
            ) {
                <#doc as ::utoipa::__dev::SchemaReferences>::schemas(schemas);
            }
        }
    })
}

/// `P` of the first argument `_: Allowed<P>`. It must be the first: actix-web polls a
/// handler's extractors in order and answers the first error, so a caller without the
/// role gets 403 before its body is read or parsed.
fn policy_of(handler: &ItemFn) -> syn::Result<Type> {
    let span = handler.sig.ident.span();
    let missing = || {
        syn::Error::new(
            span,
            "a guarded handler's first argument is `Allowed<Policy>` (authorisation runs \
             before the body is parsed)",
        )
    };
    let Some(FnArg::Typed(first)) = handler.sig.inputs.first() else {
        return Err(missing());
    };
    let Type::Path(ty) = first.ty.as_ref() else {
        return Err(missing());
    };
    let Some(last) = ty.path.segments.last() else {
        return Err(missing());
    };
    if last.ident != "Allowed" {
        return Err(missing());
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return Err(missing());
    };
    match args.args.first() {
        Some(GenericArgument::Type(policy)) if args.args.len() == 1 => Ok(policy.clone()),
        _ => Err(missing()),
    }
}
