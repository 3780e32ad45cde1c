//! The OpenAPI document (`/openapi.json`) and Swagger UI (`/docs`).

use axum::Router;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "tandem",
        description = "Self-hosted real-time collaborative documents. Errors are RFC 9457 \
                       `application/problem+json`; see docs/api.md.",
        license(name = "Apache-2.0")
    ),
    components(schemas(tandem_platform::Problem, tandem_platform::FieldError)),
    modifiers(&BearerAuth)
)]
struct Base;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "service",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The deployment's service token (`services.internal_token`), for `/internal/` endpoints",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The parts of the document every deployment has; services merge theirs in.
pub fn base() -> utoipa::openapi::OpenApi {
    Base::openapi()
}

/// Serves `api` at `/openapi.json` and Swagger UI at `/docs`.
pub fn router(api: utoipa::openapi::OpenApi) -> Router {
    Router::new().merge(SwaggerUi::new("/docs").url("/openapi.json", api))
}
