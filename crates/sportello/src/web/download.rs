//! Files sent to the browser: a certificate, an export, an uploaded attachment. One home for
//! the headers, so every download names its file the same safe way.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The media type of an Excel workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file about to be sent. By default it is saved (`attachment`); see the builder methods.
#[derive(Debug)]
pub struct Download {
    content_type: String,
    file_name: String,
    bytes: Vec<u8>,
    inline: bool,
    sandboxed: bool,
    no_store: bool,
}

impl Download {
    pub fn new(content_type: &str, file_name: &str, bytes: Vec<u8>) -> Self {
        Self {
            content_type: content_type.to_string(),
            file_name: file_name.to_string(),
            bytes,
            inline: false,
            sandboxed: false,
            no_store: false,
        }
    }

    /// Shown in the browser (a PDF, an image) rather than saved.
    pub fn inline(mut self) -> Self {
        self.inline = true;
        self
    }

    /// A file someone uploaded: shown inline only when it is a PDF or an image, and never
    /// interpreted as a page of this site (a sandboxing Content-Security-Policy).
    pub fn uploaded(mut self) -> Self {
        self.inline = matches!(
            self.content_type.as_str(),
            "application/pdf" | "image/png" | "image/jpeg"
        );
        self.sandboxed = true;
        self
    }

    /// Kept out of every cache (restricted documents).
    pub fn no_store(mut self) -> Self {
        self.no_store = true;
        self
    }
}

/// The ASCII form of a file name for `filename=`: letters, digits, `.`, `-`, `_`.
fn ascii_name(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.trim_matches(['_', '.']).is_empty() {
        "file".to_string()
    } else {
        safe
    }
}

impl IntoResponse for Download {
    fn into_response(self) -> Response {
        let disposition = format!(
            "{}; filename=\"{}\"; filename*=UTF-8''{}",
            if self.inline { "inline" } else { "attachment" },
            ascii_name(&self.file_name),
            percent_encoding::utf8_percent_encode(
                &self.file_name,
                percent_encoding::NON_ALPHANUMERIC
            )
        );
        let mut response = self.bytes.into_response();
        let h = response.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(&self.content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
        );
        if let Ok(v) = HeaderValue::from_str(&disposition) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        if self.sandboxed {
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
                ),
            );
        }
        if self.no_store {
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disposition(d: Download) -> String {
        let r = d.into_response();
        r.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap_or_default()
            .to_string()
    }

    #[test]
    fn a_file_name_cannot_break_out_of_its_header() {
        let d = Download::new("text/plain", "a\"; filename=evil.html\r\n.txt", Vec::new());
        let v = disposition(d);
        assert!(v.starts_with("attachment; filename=\"a__"), "{v}");
        assert!(!v.contains("\r") && !v.contains("\n"), "{v}");
    }

    #[test]
    fn an_italian_name_keeps_its_letters_for_browsers_that_read_them() {
        let v = disposition(Download::new(
            "application/pdf",
            "Fattura Città.pdf",
            Vec::new(),
        ));
        assert!(v.contains("filename=\"Fattura_Citt_.pdf\""), "{v}");
        assert!(
            v.contains("filename*=UTF-8''Fattura%20Citt%C3%A0%2Epdf"),
            "{v}"
        );
    }

    #[test]
    fn uploaded_files_are_sandboxed_and_only_pdfs_and_images_inline() {
        let pdf = Download::new("application/pdf", "a.pdf", Vec::new()).uploaded();
        let r = pdf.into_response();
        assert!(
            r.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap_or_default()
                .starts_with("sandbox")
        );
        let html = Download::new("text/html", "a.html", Vec::new()).uploaded();
        assert!(disposition(html).starts_with("attachment"));
    }
}
