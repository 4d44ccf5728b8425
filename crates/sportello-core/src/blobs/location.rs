//! Where the blobs live, from `SPORTELLO_BLOBS` and the usual S3 variables.

use crate::config::{ConfigError, Secret};
use std::path::PathBuf;

/// `SPORTELLO_BLOBS`: a local folder (`file:///srv/sportello/blobs`, default `<data>/blobs`) or
/// an S3-compatible bucket (`s3://bucket/prefix`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    Folder(PathBuf),
    S3(S3Settings),
}

/// An S3-compatible bucket and how to reach it. The credentials never print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    /// Prepended to every object name (`prefix/ab/cdef…`); empty for the bucket's root.
    pub prefix: String,
    /// `AWS_ENDPOINT_URL` or `SPORTELLO_S3_ENDPOINT`: the service's address; unset, AWS itself.
    pub endpoint: Option<String>,
    /// `AWS_REGION` (or `AWS_DEFAULT_REGION`), default `us-east-1`.
    pub region: String,
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
    /// `AWS_SESSION_TOKEN`, for temporary credentials.
    pub session_token: Option<Secret>,
    /// `SPORTELLO_S3_ALLOW_HTTP`: also speak plain `http://` to the endpoint (a local service);
    /// default only when the endpoint is a loopback address.
    pub allow_http: bool,
}

impl S3Settings {
    /// `s3://bucket/prefix`, for reports (no endpoint credentials in it).
    pub fn url(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

impl Location {
    /// Reads `SPORTELLO_BLOBS` (and, for `s3://`, the endpoint, region and credentials);
    /// `default_folder` when unset.
    pub fn from_lookup(
        get: &impl Fn(&str) -> Option<String>,
        default_folder: PathBuf,
    ) -> Result<Self, ConfigError> {
        match get("SPORTELLO_BLOBS") {
            None => Ok(Self::Folder(default_folder)),
            Some(url) => Self::parse(url.trim(), get),
        }
    }

    /// Parses a location written as a URL (`file:///…` or `s3://bucket/prefix`), reading the S3
    /// connection settings through `get`.
    pub fn parse(url: &str, get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let problem = |problem: String| ConfigError {
            variable: "SPORTELLO_BLOBS",
            problem,
        };
        if let Some(path) = url.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(problem(format!(
                    "'{url}' is not a folder like file:///srv/sportello/blobs"
                )));
            }
            return Ok(Self::Folder(PathBuf::from(path)));
        }
        let Some(rest) = url.strip_prefix("s3://") else {
            return Err(problem(format!(
                "'{url}' is neither file:///folder nor s3://bucket/prefix"
            )));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let prefix = prefix.trim_matches('/').to_string();
        if bucket.is_empty()
            || !bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        {
            return Err(problem(format!("'{bucket}' is not a bucket name")));
        }
        if prefix
            .split('/')
            .any(|part| part == "." || part == ".." || (part.is_empty() && !prefix.is_empty()))
        {
            return Err(problem(format!("'{prefix}' is not a usable prefix")));
        }
        let endpoint = get("AWS_ENDPOINT_URL")
            .or_else(|| get("SPORTELLO_S3_ENDPOINT"))
            .map(|e| e.trim().trim_end_matches('/').to_string());
        if let Some(e) = &endpoint
            && !(e.starts_with("http://") || e.starts_with("https://"))
        {
            return Err(ConfigError {
                variable: "AWS_ENDPOINT_URL",
                problem: format!("'{e}' must start with http:// or https://"),
            });
        }
        let local = endpoint.as_deref().is_some_and(is_loopback);
        let allow_http = match get("SPORTELLO_S3_ALLOW_HTTP").as_deref().map(str::trim) {
            None => local,
            Some("1" | "true" | "yes" | "on") => true,
            Some("0" | "false" | "no" | "off") => false,
            Some(other) => {
                return Err(ConfigError {
                    variable: "SPORTELLO_S3_ALLOW_HTTP",
                    problem: format!("'{other}' is not true or false"),
                });
            }
        };
        if let Some(e) = &endpoint
            && e.starts_with("http://")
            && !allow_http
        {
            return Err(ConfigError {
                variable: "AWS_ENDPOINT_URL",
                problem: format!(
                    "'{e}' is plain http: set SPORTELLO_S3_ALLOW_HTTP=true to allow it"
                ),
            });
        }
        Ok(Self::S3(S3Settings {
            bucket: bucket.to_string(),
            prefix,
            endpoint,
            region: get("AWS_REGION")
                .or_else(|| get("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".into()),
            access_key_id: get("AWS_ACCESS_KEY_ID"),
            secret_access_key: get("AWS_SECRET_ACCESS_KEY").map(Secret::new),
            session_token: get("AWS_SESSION_TOKEN").map(Secret::new),
            allow_http,
        }))
    }
}

/// Whether an endpoint URL names this machine (`localhost`, `127.x`, `[::1]`).
fn is_loopback(endpoint: &str) -> bool {
    let Ok(url) = url::Url::parse(endpoint) else {
        return false;
    };
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(vars: &[(&str, &str)]) -> Result<Location, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Location::from_lookup(&|k: &str| map.get(k).cloned(), PathBuf::from("data/blobs"))
    }

    #[test]
    fn the_blob_location_is_a_folder_by_default_or_an_s3_bucket() {
        assert_eq!(parse(&[]).unwrap(), Location::Folder("data/blobs".into()));
        assert_eq!(
            parse(&[("SPORTELLO_BLOBS", "file:///srv/blobs")]).unwrap(),
            Location::Folder("/srv/blobs".into())
        );
        let Location::S3(s3) = parse(&[
            ("SPORTELLO_BLOBS", "s3://sportello-ge/prod/blobs/"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000/"),
            ("AWS_ACCESS_KEY_ID", "id"),
            ("AWS_SECRET_ACCESS_KEY", "very-secret"),
        ])
        .unwrap() else {
            panic!("an s3 location");
        };
        assert_eq!(s3.bucket, "sportello-ge");
        assert_eq!(s3.prefix, "prod/blobs");
        assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert!(s3.allow_http, "a loopback endpoint may be plain http");
        assert_eq!(s3.url(), "s3://sportello-ge/prod/blobs");
        assert!(!format!("{s3:?}").contains("very-secret"));
    }

    #[test]
    fn a_wrong_blob_location_names_its_variable() {
        for (vars, variable) in [
            (vec![("SPORTELLO_BLOBS", "ftp://x")], "SPORTELLO_BLOBS"),
            (
                vec![("SPORTELLO_BLOBS", "file://relative")],
                "SPORTELLO_BLOBS",
            ),
            (vec![("SPORTELLO_BLOBS", "s3://")], "SPORTELLO_BLOBS"),
            (
                vec![("SPORTELLO_BLOBS", "s3://Bad_Bucket")],
                "SPORTELLO_BLOBS",
            ),
            (vec![("SPORTELLO_BLOBS", "s3://b/../x")], "SPORTELLO_BLOBS"),
            (
                vec![
                    ("SPORTELLO_BLOBS", "s3://b"),
                    ("AWS_ENDPOINT_URL", "http://s3.example.com"),
                ],
                "AWS_ENDPOINT_URL",
            ),
            (
                vec![
                    ("SPORTELLO_BLOBS", "s3://b"),
                    ("AWS_ENDPOINT_URL", "s3.example.com"),
                ],
                "AWS_ENDPOINT_URL",
            ),
            (
                vec![
                    ("SPORTELLO_BLOBS", "s3://b"),
                    ("SPORTELLO_S3_ALLOW_HTTP", "maybe"),
                ],
                "SPORTELLO_S3_ALLOW_HTTP",
            ),
        ] {
            assert_eq!(parse(&vars).unwrap_err().variable, variable, "{vars:?}");
        }
        assert!(
            parse(&[
                ("SPORTELLO_BLOBS", "s3://b"),
                ("AWS_ENDPOINT_URL", "http://minio.internal:9000"),
                ("SPORTELLO_S3_ALLOW_HTTP", "true"),
            ])
            .is_ok()
        );
    }
}
