//! The caller.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::views::UserView;
use crate::AppState;
use crate::extract::Auth;
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(me))
}

#[derive(Serialize, ToSchema)]
struct AccountView {
    id: Uuid,
    name: String,
}

#[derive(Serialize, ToSchema)]
struct MeView {
    #[serde(flatten)]
    user: UserView,
    account: AccountView,
}

/// The authenticated user and their account.
#[utoipa::path(
    get,
    path = "/me",
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, body = MeView),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn me(State(state): State<AppState>, Auth(who): Auth) -> Result<Json<MeView>, ApiError> {
    let (user, account) = state.service.me(&who).await?;
    Ok(Json(MeView {
        user: user.into(),
        account: AccountView {
            id: account.id.0,
            name: account.name,
        },
    }))
}
