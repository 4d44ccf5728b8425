//! EU trusted lists (ETSI TS 119 612 XML, e.g. AgID's `TSL-IT.xml`): the CA certificates of
//! qualified certificate services that are currently granted.
//!
//! A service is kept when its *current* `ServiceInformation` says `ServiceTypeIdentifier` =
//! `http://uri.etsi.org/TrstSvc/Svctype/CA/QC` and `ServiceStatus` =
//! `http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted`. The pre-eIDAS statuses
//! (`…/Svcstatus/accredited`, `…/undersupervision`) are not accepted: since 1 July 2016 every
//! list expresses current statuses with the eIDAS vocabulary, so an old status in
//! `ServiceInformation` means a stale or foreign-scheme list; they survive only in
//! `ServiceHistory`, which this function does not read. (Checking a status *at signing time*
//! needs that history; the caller can keep dated snapshots of the list instead.)
//!
//! The XML is read with quick-xml: no DTD processing, no entity expansion beyond the five
//! predefined entities and character references, nothing fetched. The list's own XML
//! signature is not verified here.

use crate::wrapping;
use quick_xml::events::Event;
use quick_xml::reader::Reader;

/// Largest trusted list accepted (the Italian one is a few MB).
pub const MAX_TSL_SIZE: usize = 64 * 1024 * 1024;
const MAX_DEPTH: usize = 64;

const CA_QC: &str = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC";
const GRANTED: &str = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted";

/// A granted CA/QC service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedService {
    /// The trust service provider's name (first `TSPName/Name`).
    pub tsp_name: String,
    /// The service's name (first `ServiceName/Name`).
    pub service_name: String,
    /// `StatusStartingTime` of the current status, as written.
    pub status_starting_time: Option<String>,
    /// X.509 certificates (DER) of the service's digital identity.
    pub certificates: Vec<Vec<u8>>,
}

/// Why a trusted list could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TslError {
    /// Not well-formed XML (position and reason).
    Xml(String),
    /// Larger than [`MAX_TSL_SIZE`] or nested deeper than the reader accepts.
    TooLarge,
    /// An entity other than the predefined ones.
    Entity(String),
    /// No `TrustServiceStatusList` root element.
    NotATrustedList,
}

impl std::fmt::Display for TslError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Xml(e) => write!(f, "malformed XML: {e}"),
            Self::TooLarge => f.write_str("trusted list too large or too deep"),
            Self::Entity(e) => write!(f, "entity not allowed: {e}"),
            Self::NotATrustedList => f.write_str("not an ETSI TS 119 612 trusted list"),
        }
    }
}

impl std::error::Error for TslError {}

#[derive(Default)]
struct ServiceDraft {
    kind: Option<String>,
    status: Option<String>,
    name: Option<String>,
    starting: Option<String>,
    certificates: Vec<Vec<u8>>,
}

/// Returns the granted CA/QC services of a trusted list, in document order.
pub fn parse_trusted_list(xml: &[u8]) -> Result<Vec<TrustedService>, TslError> {
    if xml.len() > MAX_TSL_SIZE {
        return Err(TslError::TooLarge);
    }
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(false);
    let mut buf = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut seen_root = false;
    let mut tsp_name: Option<String> = None;
    let mut service: Option<ServiceDraft> = None;
    let mut out = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| TslError::Xml(format!("at {}: {e}", reader.buffer_position())))?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_owned();
                if stack.is_empty() {
                    if name != "TrustServiceStatusList" {
                        return Err(TslError::NotATrustedList);
                    }
                    seen_root = true;
                }
                match name.as_str() {
                    "TrustServiceProvider" => tsp_name = None,
                    "TSPService" => service = Some(ServiceDraft::default()),
                    _ => {}
                }
                stack.push(name);
                if stack.len() > MAX_DEPTH {
                    return Err(TslError::TooLarge);
                }
                text.clear();
            }
            Event::Empty(e) => {
                if stack.is_empty() {
                    return Err(TslError::NotATrustedList);
                }
                let _ = e;
            }
            Event::Text(t) => text.push_str(&t),
            Event::CData(t) => text.push_str(&t),
            Event::GeneralRef(r) => {
                let name: &str = &r;
                let c = match name {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    _ => r
                        .resolve_char_ref()
                        .map_err(|e| TslError::Xml(e.to_string()))?,
                };
                match c {
                    Some(c) => text.push(c),
                    None => return Err(TslError::Entity(name.to_owned())),
                }
            }
            Event::End(_) => {
                let Some(name) = stack.pop() else {
                    return Err(TslError::Xml("unbalanced end tag".into()));
                };
                let parent = stack.last().map(String::as_str);
                let in_history = stack.iter().any(|s| s == "ServiceHistory");
                let value = text.trim().to_owned();
                match (name.as_str(), parent) {
                    ("Name", Some("TSPName")) if tsp_name.is_none() => tsp_name = Some(value),
                    ("TSPService", _) => {
                        if let Some(s) = service.take()
                            && s.kind.as_deref() == Some(CA_QC)
                            && s.status.as_deref() == Some(GRANTED)
                        {
                            out.push(TrustedService {
                                tsp_name: tsp_name.clone().unwrap_or_default(),
                                service_name: s.name.unwrap_or_default(),
                                status_starting_time: s.starting,
                                certificates: s.certificates,
                            });
                        }
                    }
                    _ if in_history => {}
                    (field, _) => {
                        if let Some(s) = service.as_mut() {
                            match (field, parent) {
                                ("ServiceTypeIdentifier", _) => s.kind = Some(value),
                                ("ServiceStatus", _) => s.status = Some(value),
                                ("StatusStartingTime", _) => s.starting = Some(value),
                                ("Name", Some("ServiceName")) if s.name.is_none() => {
                                    s.name = Some(value)
                                }
                                ("X509Certificate", _) => {
                                    if let Some(der) = wrapping::decode_base64(value.as_bytes()) {
                                        s.certificates.push(der);
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                }
                text.clear();
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
        buf.clear();
    }
    if !seen_root {
        return Err(TslError::NotATrustedList);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_xml_and_other_roots_are_errors() {
        assert_eq!(
            parse_trusted_list(b"<html></html>"),
            Err(TslError::NotATrustedList)
        );
        assert_eq!(parse_trusted_list(b""), Err(TslError::NotATrustedList));
        assert!(parse_trusted_list(b"<TrustServiceStatusList><a></b>").is_err());
    }

    #[test]
    fn custom_entities_are_not_expanded() {
        let xml = b"<!DOCTYPE x [<!ENTITY e \"boom\">]><TrustServiceStatusList><a>&e;</a></TrustServiceStatusList>";
        assert_eq!(parse_trusted_list(xml), Err(TslError::Entity("e".into())));
    }

    #[test]
    fn external_entities_are_neither_fetched_nor_expanded() {
        // XXE: a SYSTEM entity naming a local file or a URL.
        for target in ["file:///etc/passwd", "http://127.0.0.1:9/x"] {
            let xml = format!(
                "<!DOCTYPE x [<!ENTITY xxe SYSTEM \"{target}\">]>\
                 <TrustServiceStatusList><a>&xxe;</a></TrustServiceStatusList>"
            );
            assert_eq!(
                parse_trusted_list(xml.as_bytes()),
                Err(TslError::Entity("xxe".into()))
            );
        }
        // Billion laughs: nested entities are refused at the first reference.
        let xml = b"<!DOCTYPE x [<!ENTITY a \"ha\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>\
            <TrustServiceStatusList><a>&b;</a></TrustServiceStatusList>";
        assert_eq!(parse_trusted_list(xml), Err(TslError::Entity("b".into())));
    }

    #[test]
    fn predefined_entities_and_character_references_are_decoded() {
        let xml = format!(
            "<TrustServiceStatusList><TrustServiceProvider>\
             <TSPName><Name>A &amp; B &lt;&#x43;&#65;&gt;</Name></TSPName>\
             <TSPService><ServiceInformation>\
             <ServiceTypeIdentifier>{CA_QC}</ServiceTypeIdentifier>\
             <ServiceName><Name>&quot;Q&apos; CA</Name></ServiceName>\
             <ServiceStatus>{GRANTED}</ServiceStatus>\
             </ServiceInformation></TSPService>\
             </TrustServiceProvider></TrustServiceStatusList>"
        );
        let services = parse_trusted_list(xml.as_bytes()).unwrap_or_default();
        assert_eq!(services.len(), 1);
        assert_eq!(services[0].tsp_name, "A & B <CA>");
        assert_eq!(services[0].service_name, "\"Q' CA");
    }
}
