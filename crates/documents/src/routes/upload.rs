//! Reading one uploaded file out of a `multipart/form-data` body.

use axum::extract::Multipart;
use axum::http::StatusCode;
use bytes::{Bytes, BytesMut};
use tandem_platform::{FieldError, Problem};

/// An uploaded file, read into memory (uploads are bounded by `max_upload_bytes`).
#[derive(Debug)]
pub(crate) struct Upload {
    /// The name the client gave, unsanitized.
    pub filename: Option<String>,
    /// The bytes.
    pub bytes: Bytes,
    /// Other text fields of the form, by name.
    pub fields: Vec<(String, String)>,
}

fn multipart_problem(err: axum::extract::multipart::MultipartError) -> Problem {
    let status = err.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return Problem::from_status(status);
    }
    Problem::bad_request(
        "invalid_multipart",
        format!("The multipart body is malformed: {}", err.body_text()),
    )
}

/// Reads the part named `file` (and small text parts) from `multipart`.
pub(crate) async fn read(mut multipart: Multipart, max_bytes: usize) -> Result<Upload, Problem> {
    let mut file = None;
    let mut fields = Vec::new();
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_problem)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" && file.is_none() {
            let filename = field.file_name().map(str::to_owned);
            let mut buffer = BytesMut::new();
            while let Some(chunk) = field.chunk().await.map_err(multipart_problem)? {
                if buffer.len() + chunk.len() > max_bytes {
                    return Err(Problem::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        "Payload Too Large",
                    )
                    .detail(format!(
                        "The file is larger than the {max_bytes}-byte limit."
                    ))
                    .errors(vec![FieldError::new(
                        "file",
                        format!("must be at most {max_bytes} bytes"),
                    )]));
                }
                buffer.extend_from_slice(&chunk);
            }
            file = Some((filename, buffer.freeze()));
        } else {
            let text = field.text().await.map_err(multipart_problem)?;
            if text.len() <= 4096 {
                fields.push((name, text));
            }
        }
    }
    let Some((filename, bytes)) = file else {
        return Err(Problem::validation(vec![FieldError::new(
            "file",
            "is required: send the file as a multipart/form-data part named `file`",
        )]));
    };
    Ok(Upload {
        filename,
        bytes,
        fields,
    })
}
