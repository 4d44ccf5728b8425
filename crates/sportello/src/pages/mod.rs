//! Page handlers, one file per area.

pub mod account;
pub mod admin;
pub mod appointments;
pub mod audit;
pub mod devices;
pub mod home;
pub mod issuance;
pub mod lang;
pub mod login;
pub mod ra;
pub mod trade;

/// Whether `next` is a safe place to send the browser after a form: a local path only.
pub fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/\\") => p,
        _ => "/",
    }
}

#[cfg(test)]
mod tests {
    use crate::pages::local_path;

    #[test]
    fn redirects_stay_on_this_site() {
        assert_eq!(local_path(Some("/account")), "/account");
        assert_eq!(local_path(Some("//evil.example")), "/");
        assert_eq!(local_path(Some("https://evil.example")), "/");
        assert_eq!(local_path(None), "/");
    }
}
