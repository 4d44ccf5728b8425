//! The roles of the platform: companies and their intermediaries, the chamber's staff, the
//! registration authority's operators, the Manager and the auditor.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A company's user, or an intermediary (customs broker) linked to several companies.
    Company,
    /// A chamber's foreign-trade officer, working the practices of their desks.
    Officer,
    /// Desks, tariffs, users, trust anchors, convention of one chamber.
    ChamberAdmin,
    /// RA procedure, staff: the Master RAO "con massima operatività", who administers the
    /// registration authority and alone prepares mandates and revocations.
    MasterRao,
    /// RA procedure, staff: a Master RAO without "massima operatività": works the desks, the
    /// cabinet and the office tree like a Master RAO, but prepares no mandate or revocation.
    MasterRaoOrdinary,
    /// Internal registration operator.
    Rao,
    /// External registration operator (person or organisation).
    Odr,
    /// Registration agent (incaricato della registrazione).
    Ir,
    /// The chamber manager (Dirigente) who signs mandates and revocations.
    Manager,
    /// Reads the audit trail and the restricted archive.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::Company,
        Role::Officer,
        Role::ChamberAdmin,
        Role::MasterRao,
        Role::MasterRaoOrdinary,
        Role::Rao,
        Role::Odr,
        Role::Ir,
        Role::Manager,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Company => "company",
            Role::Officer => "officer",
            Role::ChamberAdmin => "chamber-admin",
            Role::MasterRao => "master-rao",
            Role::MasterRaoOrdinary => "master-rao-ordinary",
            Role::Rao => "rao",
            Role::Odr => "odr",
            Role::Ir => "ir",
            Role::Manager => "manager",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    /// Roles a chamber administrator may give to staff. Company users are created with
    /// their company, not by an administrator.
    pub fn assignable_by_chamber_admin() -> Vec<Role> {
        Role::ALL
            .into_iter()
            .filter(|r| *r != Role::Company)
            .collect()
    }

    /// RA procedure, staff: either level of Master RAO, who sees the whole chamber's registration
    /// authority (offices, operators, desks), with or without "massima operatività".
    pub fn is_master_rao(self) -> bool {
        matches!(self, Role::MasterRao | Role::MasterRaoOrdinary)
    }

    /// Whether users with this role belong to one chamber.
    pub fn needs_chamber(self) -> bool {
        !matches!(self, Role::Company)
    }

    /// Message key of the role's name in the user interface.
    pub fn label_key(self) -> &'static str {
        match self {
            Role::Company => "role-company",
            Role::Officer => "role-officer",
            Role::ChamberAdmin => "role-chamber-admin",
            Role::MasterRao => "role-master-rao",
            Role::MasterRaoOrdinary => "role-master-rao-ordinary",
            Role::Rao => "role-rao",
            Role::Odr => "role-odr",
            Role::Ir => "role-ir",
            Role::Manager => "role-manager",
            Role::Auditor => "role-auditor",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
