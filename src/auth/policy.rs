//! Who may call an operation, as a type. A handler's first argument is
//! [`Allowed<P>`](Allowed) for one of the policies below, and `#[guarded]` above its
//! `#[utoipa::path]` documents the same `P` (its roles become the operation's `bearer`
//! scopes, with 401 and 403 answers), so code and document cannot disagree.
//!
//! The check runs before the body is read: the key was resolved by
//! [`authenticate`](super::authn::middleware) before the handler, and `Allowed<P>` is the
//! first extractor, which actix-web polls first and whose error it answers first. A
//! role a policy does not name — `admin` included — is refused: there is no implicit
//! "everything", so a role added later reaches only what names it.

use std::future::Future;
use std::marker::PhantomData;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::SecurityRequirement;

use super::{Caller, Role};
use crate::error::AppError;
use crate::http::docs;
use crate::http::AppState;

/// The roles that may call an operation.
pub trait Policy: 'static {
    const ROLES: &'static [Role];
    /// Also accept a calendar feed token in `?token=` (the iCalendar feed only), as a
    /// read-only caller named "calendar feed".
    const FEED_TOKEN: bool = false;
}

macro_rules! policy {
    ($(#[$doc:meta])* $name:ident = [$($role:ident),+] $(, feed_token = $feed:expr)?) => {
        $(#[$doc])*
        pub struct $name;
        impl Policy for $name {
            const ROLES: &'static [Role] = &[$(Role::$role),+];
            $(const FEED_TOKEN: bool = $feed;)?
        }
    };
}

policy!(
    /// Every staff role: reads of staff data.
    Staff = [Admin, Planner, Warehouse, Technician, Viewer]
);
policy!(
    /// Every staff role, or a calendar feed token.
    StaffOrFeedToken = [Admin, Planner, Warehouse, Technician, Viewer], feed_token = true
);
policy!(
    /// Administrators alone: keys, settings that span the system.
    Admins = [Admin]
);
policy!(
    /// The installed base, plans, rules and ticket planning.
    Planners = [Admin, Planner]
);
policy!(
    /// Parts, warehouses and stock.
    WarehouseStaff = [Admin, Warehouse]
);
policy!(
    /// Stock work a planner may also do (reservations, reorder settings).
    PlannersOrWarehouse = [Admin, Planner, Warehouse]
);
policy!(
    /// Work on a ticket: planners, and technicians on the tickets assigned to them.
    PlannersOrTechnicians = [Admin, Planner, Technician]
);
policy!(
    /// Parts on the job: planners, warehouse staff, technicians on their own tickets.
    PlannersWarehouseOrTechnicians = [Admin, Planner, Warehouse, Technician]
);

/// The caller, admitted by policy `P`. Dereferences to the [`Caller`].
pub struct Allowed<P> {
    caller: Caller,
    _policy: PhantomData<P>,
}

impl<P> Allowed<P> {
    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    pub fn into_caller(self) -> Caller {
        self.caller
    }
}

impl<P> Deref for Allowed<P> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.caller
    }
}

/// Admits `caller` when `P` names its role: 403 naming the roles otherwise.
pub fn admit<P: Policy>(caller: Caller) -> Result<Allowed<P>, AppError> {
    if P::ROLES.contains(&caller.role) {
        return Ok(Allowed {
            caller,
            _policy: PhantomData,
        });
    }
    Err(AppError::Forbidden(format!(
        "this needs the role {}; the key's role is {}",
        role_list::<P>(),
        caller.role
    )))
}

fn role_list<P: Policy>() -> String {
    P::ROLES
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

impl<P: Policy> FromRequest for Allowed<P> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let caller = req.extensions().get::<Caller>().cloned();
        if let Some(caller) = caller {
            let admitted = admit::<P>(caller);
            return Box::pin(async move { admitted });
        }
        let token = P::FEED_TOKEN.then(|| feed_token(req)).flatten();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let (Some(token), Some(state)) = (token, state) else {
                return Err(AppError::Unauthorized);
            };
            let valid = state
                .db
                .run(move |conn| Ok(crate::maintenance::forecast::feeds::valid(conn, &token)?))
                .await?;
            if !valid {
                return Err(AppError::Unauthorized);
            }
            Ok(Allowed {
                caller: Caller::feed(),
                _policy: PhantomData,
            })
        })
    }
}

fn feed_token(req: &HttpRequest) -> Option<String> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
}

/// The operation as `P` allows it: its security requirement lists `P`'s roles as the
/// scopes of `bearer` (and the feed token where `P` takes one), and it documents 401
/// and 403. Called by the code `#[guarded]` generates.
pub fn document<P: Policy>(mut op: Operation) -> Operation {
    let scopes: Vec<&str> = P::ROLES.iter().map(|r| r.as_str()).collect();
    let mut security = vec![SecurityRequirement::new("bearer", scopes)];
    if P::FEED_TOKEN {
        security.push(SecurityRequirement::new("feed_token", Vec::<&str>::new()));
    }
    op.security = Some(security);
    let responses = &mut op.responses.responses;
    responses
        .entry("401".into())
        .or_insert_with(docs::unauthorized_response);
    let refused = Role::ALL.into_iter().rev().find(|r| !P::ROLES.contains(r));
    let example = match refused {
        Some(role) => format!(
            "this needs the role {}; the key's role is {role}",
            role_list::<P>()
        ),
        None => format!("this needs the role {}", role_list::<P>()),
    };
    responses.insert("403".into(), docs::forbidden_response(&example));
    op
}
