//! Page handlers, one file per area.

pub mod account;
pub mod admin;
pub mod admin_intermediaries;
pub mod appointments;
pub mod audit;
pub mod cns;
pub mod company_users;
pub mod delegations;
pub mod devices;
pub mod home;
pub mod issuance;
pub mod lang;
pub mod login;
pub mod oidc;
pub mod password;
pub mod ra;
pub mod trade;

/// Where to send the browser after a form or a language switch: `next` when it is a path on
/// this site, `/` otherwise. It is judged the way a browser would read it: browsers drop tabs
/// and newlines and turn `\` into `/`, so `/\t/evil.example` or `/\\evil.example` would leave
/// the site; those, scheme-relative `//host`, absolute URLs and anything that resolves to
/// another host are refused.
pub fn local_path(next: Option<&str>) -> &str {
    const MAX_LEN: usize = 2048;
    let Some(p) = next else { return "/" };
    let plain = p.starts_with('/')
        && !p.starts_with("//")
        && p.len() <= MAX_LEN
        && !p
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    if !plain {
        return "/";
    }
    // The same check by the URL standard's own parser: the path must stay on our origin.
    match url::Url::parse("https://sportello.invalid/").and_then(|base| base.join(p)) {
        Ok(u) if u.scheme() == "https" && u.host_str() == Some("sportello.invalid") => p,
        _ => "/",
    }
}

#[cfg(test)]
mod tests {
    use crate::pages::local_path;

    #[test]
    fn redirects_stay_on_this_site() {
        for ok in [
            "/",
            "/account",
            "/practices?list=sent&page=2",
            "/verify/C26GE0000001?code=AB-12",
            "/%2F/x",
        ] {
            assert_eq!(local_path(Some(ok)), ok, "{ok:?} should be kept");
        }
        let hostile = [
            "//evil.example",
            "https://evil.example",
            "http:evil.example",
            "evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r//evil.example",
            " /evil",
            "/ /evil.example",
            "/\u{0}/evil",
            "javascript:alert(1)",
            "",
        ];
        for bad in hostile {
            assert_eq!(local_path(Some(bad)), "/", "{bad:?} must not be followed");
        }
        assert_eq!(local_path(Some(&format!("/{}", "a".repeat(5000)))), "/");
        assert_eq!(local_path(None), "/");
    }
}
