//! Who may do what: one module, one matrix.
//!
//! [`allows`] answers "may this role ever do this action"; every route checks it on the
//! server. Scope (which chamber, desk, company or office the object belongs to) is checked
//! by the use case against the [`Principal`](crate::accounts::Principal), which is loaded
//! from the database, never from the client. Both checks are needed: a company user may
//! send practices, but only for their own companies.
//!
//! The registration authority has two levels of Master RAO (RA procedure, staff: "Master RAO
//! con massima operatività" and "Master RAO"): [`Role::MasterRao`], who alone prepares mandates
//! and revocations ([`Action::ManageOperators`]), keeps the convention and the restricted
//! folder and consigns devices to ODRs; and [`Role::MasterRaoOrdinary`], who sees the whole
//! office tree and works the desks and the cabinet. Only the Manager signs
//! ([`Action::SignMandate`]).

use crate::accounts::Role;
use serde::Serialize;

/// Every action a route can perform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// See one's own home page.
    ViewHome,
    /// Desks and chamber settings.
    ManageDesks,
    /// Users of the chamber.
    ManageUsers,
    /// The chamber's tariff table.
    ManageTariffs,
    /// Trust anchors for signature verification.
    ManageTrustAnchors,
    /// Record a payment received into a company's wallet: by hand, or by importing pagoPA's
    /// reconciliation flow (and reading its anomalies).
    CreditWallet,
    /// Search the audit trail.
    SearchAudit,
    /// Look up companies and sites in the Registry.
    LookupRegistry,
    /// Base models, signed uploads, attachments, sending (company side).
    ComposePractice,
    /// A company's own practices and lists.
    ViewOwnPractices,
    /// A company's wallet balance and ledger, its pagoPA top-up notices, receipts and
    /// statements.
    ViewWallet,
    /// The desk inbox and the officer's decisions.
    WorkInbox,
    /// Chamber statistics and dashboards.
    ViewDashboard,
    /// The convention with the Certification Authority.
    ManageConvention,
    /// Operators, accreditation steps, courses, revocations, periodic checks.
    ManageOperators,
    /// Sign mandates and revocations (the Manager).
    SignMandate,
    /// The office tree (each operator sees only their subtree).
    ViewOfficeTree,
    /// Mandate documents in the restricted archive.
    ViewRestrictedArchive,
    /// Desk appointments: day view, no-shows.
    ManageAppointments,
    /// Issue a device at the desk.
    RunIssuance,
    /// Device inventory: deliveries, cabinet, operator boxes.
    ManageInventory,
    /// Consign devices to ODRs against their advance account.
    ConsignDevices,
    /// An ODR's periodic report of the devices it issued.
    ReportIssuedDevices,
    /// A case-by-case refund after a device was issued.
    DecideDeviceRefund,
    /// The background jobs (platform-wide), read-only: counts and the dead ones.
    ViewJobs,
    /// Authorise companies to print certificates on blank paper, and withdraw it.
    AuthoriseBlankPaper,
    /// A company's webhooks: register, list, read the delivery log, delete.
    ManageWebhooks,
    /// Send a practice (which charges the wallet) and ask for wallet top-ups: the company
    /// side's acts that spend money.
    SendPractice,
    /// Ask to act for a company on a delegation signed by its legal representative, and read
    /// one's own requests.
    RequestDelegation,
    /// The chamber office's queue of delegations: approve or reject.
    DecideDelegations,
    /// A legal representative manages the company's users (invite, remove, scopes); the link
    /// as representative is checked on the company.
    ManageCompanyUsers,
    /// The register of intermediaries (customs brokers and the like): register one, add and
    /// remove its people, suspend and reactivate it.
    ManageIntermediaries,
}

impl Action {
    pub const ALL: [Action; 32] = [
        Action::ViewHome,
        Action::ManageDesks,
        Action::ManageUsers,
        Action::ManageTariffs,
        Action::ManageTrustAnchors,
        Action::CreditWallet,
        Action::SearchAudit,
        Action::LookupRegistry,
        Action::ComposePractice,
        Action::ViewOwnPractices,
        Action::ViewWallet,
        Action::WorkInbox,
        Action::ViewDashboard,
        Action::ManageConvention,
        Action::ManageOperators,
        Action::SignMandate,
        Action::ViewOfficeTree,
        Action::ViewRestrictedArchive,
        Action::ManageAppointments,
        Action::RunIssuance,
        Action::ManageInventory,
        Action::ConsignDevices,
        Action::ReportIssuedDevices,
        Action::DecideDeviceRefund,
        Action::ViewJobs,
        Action::AuthoriseBlankPaper,
        Action::ManageWebhooks,
        Action::SendPractice,
        Action::RequestDelegation,
        Action::DecideDelegations,
        Action::ManageCompanyUsers,
        Action::ManageIntermediaries,
    ];
}

/// Why a principal was refused an object or an action. Adapters answer 403 and 404; an
/// object outside the caller's scope is `NotFound`, so its existence is not revealed.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The caller's chamber; `Forbidden` for a user without one.
pub fn chamber_of(p: &crate::accounts::Principal) -> Result<&str, AccessError> {
    p.user.chamber_id.as_deref().ok_or(AccessError::Forbidden)
}

/// Whether `role` may perform `action` at all.
pub fn allows(role: Role, action: Action) -> bool {
    use Action::*;
    use Role::*;
    match action {
        ViewHome => true,
        ManageDesks | ManageUsers | ManageTariffs | ManageTrustAnchors | CreditWallet => {
            role == ChamberAdmin
        }
        SearchAudit => matches!(role, Auditor | ChamberAdmin),
        LookupRegistry => matches!(
            role,
            Company | Officer | ChamberAdmin | MasterRao | MasterRaoOrdinary | Rao | Odr | Ir
        ),
        ComposePractice | ViewOwnPractices | ViewWallet | ManageWebhooks | SendPractice => {
            role == Company
        }
        // Issue 15, item 2: a person signed up with a digital identity uploads a delegation,
        // which the chamber's office (its administrator, who keeps the chamber's users and
        // the companies' wallets) approves or rejects; a company's representative manages its
        // users.
        RequestDelegation | ManageCompanyUsers => role == Company,
        DecideDelegations => role == ChamberAdmin,
        WorkInbox => role == Officer,
        ViewDashboard => matches!(role, Officer | ChamberAdmin | Manager),
        // RA procedure: the chamber signs the convention with the CA; its administrator keeps it,
        // and a Master RAO, who administers the RA for the chamber, may too.
        ManageConvention => matches!(role, ChamberAdmin | MasterRao),
        // RA procedure, part 1: "Il Master Rao, colui che ha la massima operatività nel programma
        // CMS, svolge tutte le funzioni di preparazione dei mandati": only that level prepares
        // mandates and revocations and administers operators; the ordinary Master RAO does not.
        ManageOperators => role == MasterRao,
        // RA procedure, part 1: mandates and revocations are signed by the Manager (Dirigente).
        SignMandate => role == Manager,
        ViewOfficeTree => matches!(
            role,
            MasterRao | MasterRaoOrdinary | Rao | Odr | Ir | Manager | Auditor
        ),
        // RA procedure, part 1: mandate documents are kept in a restricted folder, for who
        // prepares mandates (the Master RAO "con massima operatività"), the Manager, the auditor.
        ViewRestrictedArchive => matches!(role, MasterRao | Manager | Auditor),
        // RA procedure, staff: every Master RAO is also an operator at the desk.
        ManageAppointments | RunIssuance => {
            matches!(role, MasterRao | MasterRaoOrdinary | Rao | Odr | Ir)
        }
        // RA procedure, part 2: blank devices in the cabinet are handed to internal operators.
        ManageInventory => matches!(role, MasterRao | MasterRaoOrdinary | Rao),
        ConsignDevices => role == MasterRao,
        ReportIssuedDevices => role == Odr,
        // RA procedure, part 2: no refund after issuance, save case-by-case decisions.
        DecideDeviceRefund => role == Manager,
        // Jobs belong to no chamber: chamber administrators see them all, read-only (no
        // payloads), since one chamber's dead e-mail job is the platform's to fix.
        ViewJobs => role == ChamberAdmin,
        // Cert'O guide: blank-paper printing is "per imprese autorizzate", by the chamber.
        AuthoriseBlankPaper => role == ChamberAdmin,
        // Issue 15, item 3: intermediaries belong to no chamber (the command line registers
        // them without one, and a mandate names any chambers), so, like the jobs, every
        // chamber's administrator keeps the one register; no other role administers.
        ManageIntermediaries => role == ChamberAdmin,
    }
}

/// Whether `principal` may perform `action`: their role may ([`allows`]), and a company user's
/// scope at the company they act for admits it (issue 15, item 2: read only, prepare, send;
/// see [`CompanyScope::admits`](crate::accounts::CompanyScope::admits)). Every route asks this.
pub fn permits(principal: &crate::accounts::Principal, action: Action) -> bool {
    allows(principal.role(), action)
        && (principal.role() != Role::Company || principal.company_scope().admits(action))
}

/// The actions a role may perform, in [`Action::ALL`] order (the home page lists them).
pub fn actions_of(role: Role) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| allows(role, *a))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole matrix, written out: one row per action, one column per role in
    /// `Role::ALL` order (company, officer, chamber-admin, master-rao, master-rao-ordinary,
    /// rao, odr, ir, manager, auditor). Changing who may do what means changing this table.
    const MATRIX: &[(Action, &str)] = &[
        (Action::ViewHome, "XXXXXXXXXX"),
        (Action::ManageDesks, "..X......."),
        (Action::ManageUsers, "..X......."),
        (Action::ManageTariffs, "..X......."),
        (Action::ManageTrustAnchors, "..X......."),
        (Action::CreditWallet, "..X......."),
        (Action::SearchAudit, "..X......X"),
        (Action::LookupRegistry, "XXXXXXXX.."),
        (Action::ComposePractice, "X........."),
        (Action::ViewOwnPractices, "X........."),
        (Action::ViewWallet, "X........."),
        (Action::WorkInbox, ".X........"),
        (Action::ViewDashboard, ".XX.....X."),
        (Action::ManageConvention, "..XX......"),
        (Action::ManageOperators, "...X......"),
        (Action::SignMandate, "........X."),
        (Action::ViewOfficeTree, "...XXXXXXX"),
        (Action::ViewRestrictedArchive, "...X....XX"),
        (Action::ManageAppointments, "...XXXXX.."),
        (Action::RunIssuance, "...XXXXX.."),
        (Action::ManageInventory, "...XXX...."),
        (Action::ConsignDevices, "...X......"),
        (Action::ReportIssuedDevices, "......X..."),
        (Action::DecideDeviceRefund, "........X."),
        (Action::ViewJobs, "..X......."),
        (Action::AuthoriseBlankPaper, "..X......."),
        (Action::ManageWebhooks, "X........."),
        (Action::SendPractice, "X........."),
        (Action::RequestDelegation, "X........."),
        (Action::DecideDelegations, "..X......."),
        (Action::ManageCompanyUsers, "X........."),
        (Action::ManageIntermediaries, "..X......."),
    ];

    #[test]
    fn role_action_matrix_is_exactly_the_policy() {
        assert_eq!(MATRIX.len(), Action::ALL.len(), "every action has a row");
        for (action, row) in MATRIX {
            assert_eq!(row.len(), Role::ALL.len());
            for (role, cell) in Role::ALL.iter().zip(row.chars()) {
                assert_eq!(
                    allows(*role, *action),
                    cell == 'X',
                    "{role} × {action:?} should be {}",
                    if cell == 'X' { "allowed" } else { "denied" }
                );
            }
        }
    }

    /// RA procedure, staff: "n. 2 operatori Master RAO con massima operatività, n. 3 operatori
    /// Master RAO" — only the first prepare mandates and revocations (and keep the convention
    /// and the restricted folder); both work the desks, the cabinet and the office tree.
    #[test]
    fn only_the_master_rao_with_full_operativity_prepares_mandates() {
        for action in [
            Action::ManageOperators,
            Action::ManageConvention,
            Action::ViewRestrictedArchive,
            Action::ConsignDevices,
        ] {
            assert!(allows(Role::MasterRao, action), "{action:?}");
            assert!(!allows(Role::MasterRaoOrdinary, action), "{action:?}");
        }
        for action in [
            Action::ViewOfficeTree,
            Action::ManageAppointments,
            Action::RunIssuance,
            Action::ManageInventory,
        ] {
            assert!(allows(Role::MasterRao, action), "{action:?}");
            assert!(allows(Role::MasterRaoOrdinary, action), "{action:?}");
        }
    }

    /// RA procedure, part 1: the mandate letter and the revocation notice are "firmata
    /// digitalmente dal Dirigente": no Master RAO, of either level, signs them.
    #[test]
    fn only_the_manager_signs_mandates_and_revocations() {
        for role in Role::ALL {
            assert_eq!(
                allows(role, Action::SignMandate),
                role == Role::Manager,
                "{role}"
            );
        }
    }

    #[test]
    fn every_role_can_do_something_beyond_its_home() {
        for role in Role::ALL {
            assert!(actions_of(role).len() > 1, "{role} has nothing to do");
        }
    }
}
