use super::Auth;
use super::create::{created, insert};
use super::upload;
use crate::domain::{Content, Title};
use crate::error::Result;
use crate::import::{self, ImportError};
use crate::state::AppState;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use tandem_platform::{FieldError, Problem};

/// Create a document from an uploaded `.md`, `.txt`, `.html` or `.docx` file.
///
/// Send `multipart/form-data` with the file in a part named `file` and, optionally, a
/// `title` part (default: the HTML `<title>`, the DOCX's title property or first heading,
/// else the file name). HTML and DOCX are converted to Markdown (headings, emphasis, code,
/// links, nested lists, tables); scripts and styles are dropped.
#[utoipa::path(
    post, path = "/documents/import", tag = "documents",
    security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", description = "A part named `file`, optionally `title`"),
    responses(
        (status = 201, description = "Created", body = super::dto::DocumentResponse),
        (status = 413, description = "Larger than `documents.max_upload_bytes`", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not a format tandem imports (`unsupported_import`)", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Corrupt file (`corrupt_import`), not UTF-8, beyond a limit such as nesting depth or expanded size (`import_too_large`), too slow to convert (`conversion_timeout`), content too large, or no `file` part", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Every conversion slot is busy (`conversions_busy`); see `Retry-After`", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn import(
    State(state): State<AppState>,
    auth: Auth,
    multipart: Multipart,
) -> Result<Response> {
    let file = upload::read(multipart, state.config.max_upload_bytes).await?;
    let filename = file.filename.clone().unwrap_or_default();
    let kind = import::kind(&filename, &file.bytes).map_err(problem)?;
    let bytes = file.bytes.clone();
    let limits = import::Limits {
        max_expanded_bytes: state.config.max_content_bytes,
    };
    // Conversion parses untrusted documents: a bounded converter thread, not a worker.
    let (markdown, named) = state
        .converter
        .run(move || {
            import::to_markdown(kind, &bytes, limits).map(|md| {
                let title = import::title(kind, &bytes, &md);
                (md, title)
            })
        })
        .await?
        .map_err(problem)?;

    let requested = file
        .fields
        .iter()
        .find(|(name, _)| name == "title")
        .map(|(_, v)| v.clone());
    let from_name = crate::files::sanitize_filename(&filename)
        .rsplit_once('.')
        .map(|(stem, _)| stem.to_owned())
        .filter(|stem| !stem.is_empty());
    let raw_title = requested
        .or(named)
        .or(from_name)
        .unwrap_or_else(|| "Imported document".into());
    let title = Title::parse(&raw_title).map_err(|m| Problem::invalid_field("title", m))?;
    let content = Content::parse(markdown, state.config.max_content_bytes)
        .map_err(|m| Problem::invalid_field("file", format!("converted content {m}")))?;
    let document = insert(&state, auth.user(), &title, &content).await?;
    Ok(created(document))
}

fn problem(error: ImportError) -> Problem {
    let (status, code, title, why) = match error {
        ImportError::Unsupported(why) => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_import",
            "Unsupported file type",
            why,
        ),
        ImportError::Corrupt(why) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "corrupt_import",
            "The file could not be read",
            why,
        ),
        ImportError::TooLarge(why) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "import_too_large",
            "The file is beyond the import limits",
            why,
        ),
    };
    Problem::new(status, code, title)
        .detail(why.clone())
        .errors(vec![FieldError::new("file", why)])
}
