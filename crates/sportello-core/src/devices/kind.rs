//! The two kinds of device and their serial numbers.

use serde::{Deserialize, Serialize};
use std::fmt;

/// RA procedure, part 2: the chamber issues CNS devices as smart cards or USB tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    SmartCard,
    Token,
}

impl DeviceKind {
    pub const ALL: [DeviceKind; 2] = [DeviceKind::SmartCard, DeviceKind::Token];

    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::SmartCard => "smart_card",
            DeviceKind::Token => "token",
        }
    }

    /// The stored name, or what a CA delivery file writes (`SMART CARD`, `smartcard`, `TOKEN`).
    pub fn parse(s: &str) -> Option<DeviceKind> {
        let norm: String = s
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        match norm.as_str() {
            "smartcard" | "card" | "cns" => Some(DeviceKind::SmartCard),
            "token" | "usbtoken" => Some(DeviceKind::Token),
            _ => None,
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            DeviceKind::SmartCard => "dev-kind-smart-card",
            DeviceKind::Token => "dev-kind-token",
        }
    }

    /// the chambers' device fees: the chamber's fee (diritti) for the device, when the chamber has
    /// set none: €25.00 for a smart card, €70.00 for a token.
    pub fn default_fee_cents(self) -> i64 {
        match self {
            DeviceKind::SmartCard => 2500,
            DeviceKind::Token => 7000,
        }
    }
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A device's serial number as the CA prints it: 6 to 24 letters and digits, upper case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct DeviceSerial(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a serial number has 6 to 24 letters and digits")]
pub struct SerialError;

impl DeviceSerial {
    pub fn parse(input: &str) -> Result<DeviceSerial, SerialError> {
        let s: String = input
            .trim()
            .chars()
            .filter(|c| *c != ' ' && *c != '-')
            .collect::<String>()
            .to_ascii_uppercase();
        if (6..=24).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(DeviceSerial(s))
        } else {
            Err(SerialError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeviceSerial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_read_as_the_ca_writes_them() {
        assert_eq!(DeviceKind::parse("SMART CARD"), Some(DeviceKind::SmartCard));
        assert_eq!(DeviceKind::parse("smart_card"), Some(DeviceKind::SmartCard));
        assert_eq!(DeviceKind::parse("Token"), Some(DeviceKind::Token));
        assert_eq!(DeviceKind::parse("floppy"), None);
    }

    #[test]
    fn serials_are_normalised_and_checked() {
        assert_eq!(
            DeviceSerial::parse(" 7420-0000 0000 0001 ")
                .unwrap()
                .as_str(),
            "7420000000000001"
        );
        assert!(DeviceSerial::parse("12345").is_err());
        assert!(DeviceSerial::parse("AB/123456").is_err());
    }
}
