//! How webhook deliveries leave the platform: the core's `webhooks::Transport` over an HTTP
//! client (reqwest, which the core may not depend on: it pulls tower).
//!
//! - **Addresses checked when connecting.** The client resolves names through
//!   [`CheckedResolver`], which refuses a name when any of its addresses is loopback, private
//!   or link-local (`address::admitted`), so a name that pointed elsewhere when the webhook
//!   was registered cannot lead to the chamber's network later; an address written in the URL
//!   itself is checked before sending. No proxy from the environment is used, since it would
//!   connect on our behalf to an address we did not check.
//! - **No redirects followed**: a 3xx is an answer like any other non-2xx, and retried.
//! - **Short timeouts**: the whole attempt, connection included, is bounded by
//!   `SPORTELLO_WEBHOOKS_TIMEOUT_MS`. The answer's body is never read.

use async_trait::async_trait;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use sportello_core::config::WebhookSettings;
use sportello_core::webhooks::{Delivery, DeliveryError, Transport, address};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// A name refused because it resolves to an address deliveries may not reach.
#[derive(Debug, thiserror::Error)]
#[error("{name} resolves to {ip}, a private, loopback or link-local address")]
struct Refused {
    name: String,
    ip: IpAddr,
}

/// Resolves like the system does, then refuses names that lead where webhooks may not go.
struct CheckedResolver {
    settings: WebhookSettings,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let settings = self.settings.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(bad) = found.iter().find(|a| !address::admitted(a.ip(), &settings)) {
                return Err(Box::new(Refused {
                    name: host,
                    ip: bad.ip(),
                })
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

/// The webhook transport of the running application.
pub struct HttpTransport {
    settings: WebhookSettings,
    client: tokio::sync::OnceCell<reqwest::Client>,
}

impl HttpTransport {
    pub fn new(settings: WebhookSettings) -> Self {
        Self {
            settings,
            client: tokio::sync::OnceCell::new(),
        }
    }

    /// The client, built on first use (so building it cannot fail the start of a process
    /// that never delivers).
    async fn client(&self) -> Result<&reqwest::Client, DeliveryError> {
        self.client
            .get_or_try_init(|| async {
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .no_proxy()
                    .timeout(self.settings.timeout)
                    .connect_timeout(self.settings.timeout)
                    .dns_resolver(Arc::new(CheckedResolver {
                        settings: self.settings.clone(),
                    }))
                    .build()
                    .map_err(|e| DeliveryError::Failed(format!("HTTP client: {e}")))
            })
            .await
    }
}

/// The error and its causes, on one line.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The refusal of [`CheckedResolver`] among the causes of `e`, if that is why it failed.
fn refusal(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<Refused>() {
            return Some(r.to_string());
        }
        source = s.source();
    }
    None
}

#[async_trait]
impl Transport for HttpTransport {
    async fn post(&self, delivery: &Delivery<'_>) -> Result<u16, DeliveryError> {
        let url = address::parse(delivery.url, &self.settings)
            .map_err(|e| DeliveryError::AddressRefused(e.to_string()))?;
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = literal
            && !address::admitted(ip, &self.settings)
        {
            return Err(DeliveryError::AddressRefused(format!(
                "{ip} is a private, loopback or link-local address"
            )));
        }
        let mut request = self
            .client()
            .await?
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(delivery.body.to_vec());
        for (name, value) in &delivery.headers {
            request = request.header(*name, value);
        }
        match request.send().await {
            Ok(response) => Ok(response.status().as_u16()),
            Err(e) if e.is_timeout() => {
                Err(DeliveryError::Timeout(self.settings.timeout.as_millis()))
            }
            Err(e) => Err(match refusal(&e) {
                Some(why) => DeliveryError::AddressRefused(why),
                None => DeliveryError::Failed(chain(&e)),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(url: &str) -> Delivery<'_> {
        Delivery {
            url,
            headers: Vec::new(),
            body: b"{}",
        }
    }

    #[tokio::test]
    async fn a_delivery_never_connects_to_a_private_address_whatever_was_registered() {
        let transport = HttpTransport::new(WebhookSettings::default());
        // An address in the URL is checked before sending…
        let refused = transport
            .post(&delivery("https://127.0.0.1:9/hooks"))
            .await
            .unwrap_err();
        assert!(
            matches!(refused, DeliveryError::AddressRefused(_)),
            "{refused}"
        );
        // …and a name by the resolver, when connecting.
        let refused = transport
            .post(&delivery("https://localhost:9/hooks"))
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, DeliveryError::AddressRefused(why) if why.contains("localhost")),
            "{refused}"
        );
        // Plain HTTP is refused unless configured.
        let refused = transport
            .post(&delivery("http://erp.example.com/hooks"))
            .await
            .unwrap_err();
        assert!(matches!(refused, DeliveryError::AddressRefused(_)));
    }
}
