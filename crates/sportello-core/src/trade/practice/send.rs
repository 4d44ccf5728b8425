//! Sending a practice (Cert'O guide, slides 43 and 57–59): in one transaction the wallet is
//! charged the fee, the practice gets its protocol number (per chamber and year, gapless),
//! moves to *sent*, its history and the audit trail record it, and the confirmation e-mail
//! is queued. Insufficient balance sends nothing and says how much is missing. A double
//! click, or an API call retried with the same `Idempotency-Key`, charges once.
//!
//! A practice sent back for rectification is resent the same way. Its fee follows the practice
//! as it stands (see [`fee_of`]): a resend charges what the changes added or refunds what they
//! took away, in the same transaction as the status change, as ledger entries that say so.
//!
//! The fee and the checks are worked out from the details and attachments as read before the
//! transaction; the status change is guarded on the practice's `revision` as read before them,
//! which every change of details or attachments raises. A change saved meanwhile makes the
//! guard find nothing, and the send starts again from what is there now (a few times at most),
//! so a practice is never sent with a fee for details it no longer has.

use crate::Ctx;
use crate::accounts::Principal;
use crate::audit::{self, Change};
use crate::chambers::{settings::Setting, tariff};
use crate::clock::italian_day;
use crate::db::{self, counters};
use crate::display;
use crate::money::Money;
use crate::notify::{self, OutgoingEmail};
use crate::trade::blank_paper;
use crate::trade::fee::{self, Fee, FeeError, FeeInput};
use crate::trade::form::{CancellationReason, FieldProblem, FormInput};
use crate::trade::practice::attachments;
use crate::trade::practice::destination;
use crate::trade::practice::details::problems_before_sending;
use crate::trade::practice::{Practice, PracticeAction, PracticeStatus, get, record_event};
use crate::trade::practice_type::{DocumentCode, PracticeType, PrintMode};
use crate::trade::profile;
use crate::wallet::{self, WalletError};
use chrono::Datelike;
use serde::{Deserialize, Serialize};

/// What a send answered (also what an idempotent retry answers).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    pub status: String,
    pub protocol_number: String,
    pub charged_cents: i64,
    /// What a resend gave back because the changes lowered the fee.
    #[serde(default)]
    pub refunded_cents: i64,
    /// True when this call found the practice already sent (nothing charged now).
    #[serde(default)]
    pub already_sent: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("no such practice")]
    NotFound,
    #[error("the practice cannot be sent now")]
    NotSendable(PracticeStatus),
    #[error("some details are missing")]
    Incomplete(Vec<FieldProblem>),
    #[error("the company profile is not complete")]
    ProfileIncomplete,
    /// The user's scope at the practice's company, or an intermediary's mandate, does not
    /// allow it (issue 15, items 2 and 3).
    #[error(transparent)]
    Refused(#[from] crate::accounts::company_access::CompanyRefusal),
    /// The destination desk rule (`destination`): the chamber does not take this company's
    /// practices.
    #[error("{chamber} does not accept practices from this company")]
    DeskOfAnotherChamber { chamber: String },
    #[error("insufficient balance")]
    InsufficientBalance {
        /// What this send must charge (on a resend, the difference the changes added).
        fee: Money,
        /// A resend after rectification: `fee` is what the changes added.
        resend: bool,
        balance: Money,
        missing: Money,
    },
    #[error("the fee cannot be computed: {0}")]
    Fee(#[from] FeeError),
    #[error("this idempotency key was used for another practice")]
    KeyReused,
    /// A ledger refusal other than a missing balance (a programming error).
    #[error(transparent)]
    Wallet(WalletError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<WalletError> for SendError {
    fn from(e: WalletError) -> Self {
        match e {
            WalletError::Db(e) => SendError::Db(e),
            other => SendError::Wallet(other),
        }
    }
}

/// The practice's fee: a function of the practice as it stands (type, printing, copies, the
/// visas and legalisations of its attachments) and of the tariff in force on the day it was
/// first sent — today, for a practice not sent yet. Cert'O guide, slides 57–59: the fee is
/// taken from the wallet when the practice is sent; a rectification may add copies, visas or
/// attachments, so a resend settles the difference against what was charged before.
pub async fn fee_of(state: &Ctx, practice: &Practice) -> Result<Fee, SendError> {
    let atts = attachments::list(&state.db, &practice.id).await?;
    fee_with(state, practice, &atts).await
}

/// [`fee_of`] for the practice's attachments already read (all of them).
pub async fn fee_with(
    state: &Ctx,
    practice: &Practice,
    atts: &[attachments::Attachment],
) -> Result<Fee, SendError> {
    let tariff_day = match practice.sent_at.as_deref() {
        Some(at) => italian_day(db::parse_instant(at)?),
        None => state.clock.today(),
    };
    let (table, mandatory_copy) = tariff::table_and_setting(
        &state.db,
        &practice.chamber_id,
        tariff_day,
        Setting::BlankPaperMandatoryCopy,
    )
    .await?;
    // As `settings::get_bool` reads it.
    let mandatory_copy = mandatory_copy == "true";
    Ok(fee::compute(
        &table,
        FeeInput {
            practice_type: practice.practice_type,
            print_mode: practice.print_mode,
            copies: practice.copies,
            visas: atts.iter().map(|a| a.visas).sum(),
            legalisations: atts.iter().map(|a| a.legalisations).sum(),
            blank_paper_mandatory_copy: mandatory_copy,
        },
    )?)
}

/// Everything that must hold before sending, each named: details, attachments, profile.
pub async fn problems(
    state: &Ctx,
    principal: &Principal,
    practice: &Practice,
) -> Result<Vec<FieldProblem>, SendError> {
    let atts = attachments::list(&state.db, &practice.id).await?;
    Ok(checks(state, principal, practice, &atts).await?.0)
}

/// [`problems`] for attachments already read, with the principal's profile for the
/// practice's company when there is one (the send writes to its notification address).
async fn checks(
    state: &Ctx,
    principal: &Principal,
    practice: &Practice,
    atts: &[attachments::Attachment],
) -> Result<(Vec<FieldProblem>, Option<profile::Profile>), SendError> {
    let mut problems = problems_before_sending(practice);
    // A draft on blank paper needs the authorisation in force now (it may have been withdrawn
    // since the details were saved); a practice already sent keeps its print mode.
    if practice.status == PracticeStatus::Draft {
        let authorised =
            blank_paper::authorised(&state.db, &practice.chamber_id, &practice.company_id).await?;
        problems.extend(blank_paper::problem(
            practice.print_mode,
            authorised,
            blank_paper::sent_on_blank_paper(practice),
        ));
    }
    if practice.practice_type.requires_attachment() && atts.is_empty() {
        problems.push(FieldProblem {
            field: "attachments".into(),
            key: "trade-send-attachment-required",
        });
    }
    let has = |code: DocumentCode| atts.iter().any(|a| a.code == code.as_str());
    for required in practice
        .practice_type
        .required_documents(practice.print_mode)
    {
        if !has(required.code) {
            problems.push(FieldProblem {
                field: "attachments".into(),
                key: required.key,
            });
        }
    }
    if practice.practice_type == PracticeType::Cancellation {
        let form: FormInput = crate::trade::practice::signed_form(&state.db, practice).await?;
        let needs_report = CancellationReason::parse(&form.reason)
            .is_some_and(CancellationReason::needs_police_report);
        if needs_report && !has(DocumentCode::PoliceReport) {
            problems.push(FieldProblem {
                field: "attachments".into(),
                key: "trade-send-police-report-required",
            });
        }
    }
    if let (PrintMode::Form, Some(serial)) = (practice.print_mode, &practice.form_serial)
        && !crate::trade::desk::forms::usable(
            &state.db,
            &practice.chamber_id,
            &practice.company_id,
            serial,
        )
        .await?
    {
        problems.push(FieldProblem {
            field: "form_serial".into(),
            key: "trade-send-form-not-assigned",
        });
    }
    let profile = profile::get(&state.db, &principal.user.id, &practice.company_id).await?;
    if profile.is_none() {
        problems.push(FieldProblem {
            field: "profile".into(),
            key: "trade-send-profile-required",
        });
    }
    Ok((problems, profile))
}

/// How many times a send starts again when the practice keeps changing under it.
const SEND_TRIES: usize = 3;

fn protocol_number(chamber_code: &str, year: i32, seq: i64) -> String {
    format!("{chamber_code}/{year}/{seq:07}")
}

/// Sends (or resends after rectification) a practice of the principal's companies.
pub async fn send(
    state: &Ctx,
    principal: &Principal,
    practice_id: &str,
    idempotency_key: Option<&str>,
) -> Result<Sent, SendError> {
    let key = idempotency_key
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| k.chars().take(200).collect::<String>());
    if let Some(key) = &key {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT practice_id, response_json FROM idempotency_keys WHERE user_id = $1 AND key = $2")
                .bind(&principal.user.id)
                .bind(key)
                .fetch_optional(state.db.pool())
                .await?;
        if let Some((pid, json)) = row {
            if pid != practice_id {
                return Err(SendError::KeyReused);
            }
            return serde_json::from_str(&json)
                .map_err(|e| SendError::Db(sqlx::Error::Decode(e.into())));
        }
    }
    for _ in 0..SEND_TRIES {
        if let Some(sent) = send_once(state, principal, practice_id, key.as_deref()).await? {
            return Ok(sent);
        }
    }
    let status = get(&state.db, practice_id)
        .await?
        .ok_or(SendError::NotFound)?
        .status;
    Err(SendError::NotSendable(status))
}

/// One try at sending; `None` when the practice's details or attachments changed after they
/// were read (the caller tries again).
async fn send_once(
    state: &Ctx,
    principal: &Principal,
    practice_id: &str,
    key: Option<&str>,
) -> Result<Option<Sent>, SendError> {
    // The revision is read with the practice, in the same statement: a change after this
    // point raises it past what is guarded.
    let (practice, revision) = crate::trade::practice::get_with_revision(&state.db, practice_id)
        .await?
        .ok_or(SendError::NotFound)?;
    // Issue 15, items 2 and 3: whatever company the session acts for, the practice's own
    // decides — the user's scope there reaches sending, and an intermediary's user sends (and
    // so spends the client's wallet) only within a mandate in force covering its type and
    // chamber.
    match crate::trade::practice::require_write(
        &state.db,
        principal,
        &practice,
        crate::accounts::CompanyScope::Send,
        state.clock.now(),
    )
    .await
    {
        Ok(()) => {}
        Err(crate::accounts::company_access::CompanyRefusal::NotFound) => {
            return Err(SendError::NotFound);
        }
        Err(e) => return Err(e.into()),
    }
    let resend = match practice.status {
        PracticeStatus::Draft => false,
        PracticeStatus::ToRectify => true,
        // A second click after the practice went: answer with what happened, charge nothing.
        PracticeStatus::Sent | PracticeStatus::InReview | PracticeStatus::Approved
            if practice.protocol_number.is_some() =>
        {
            return Ok(Some(Sent {
                status: practice.status.as_str().into(),
                protocol_number: practice.protocol_number.unwrap_or_default(),
                charged_cents: 0,
                refunded_cents: 0,
                already_sent: true,
            }));
        }
        other => return Err(SendError::NotSendable(other)),
    };
    // The attachments are read once, for the checks and for the fee.
    let atts = attachments::list(&state.db, &practice.id).await?;
    let (problems, profile) = checks(state, principal, &practice, &atts).await?;
    if !problems.is_empty() {
        return Err(SendError::Incomplete(problems));
    }
    let profile = profile.ok_or(SendError::ProfileIncomplete)?;
    let (chamber, desk, admits) = destination::chamber_desk_admitting(
        &state.db,
        &practice.chamber_id,
        &practice.desk_id,
        &practice.company_id,
    )
    .await?
    .ok_or(SendError::NotFound)?;
    if !admits {
        return Err(SendError::DeskOfAnotherChamber {
            chamber: chamber.name,
        });
    }
    let fee = fee_with(state, &practice, &atts).await?;
    let now = state.clock.now();
    let action = if resend {
        PracticeAction::Resend
    } else {
        PracticeAction::Send
    };
    let to = practice
        .status
        .apply(action)
        .map_err(|_| SendError::NotSendable(practice.status))?;
    let actor = principal.actor().in_chamber(Some(&practice.chamber_id));

    let mut tx = state.db.begin().await?;
    // The status guard makes a concurrent second send find nothing to update; the revision
    // guard, a change of details or attachments since they were read.
    let claimed = sqlx::query(
        "UPDATE practices SET status = $2, updated_at = $3 WHERE id = $1 AND status = $4 \
         AND revision = $5",
    )
    .bind(&practice.id)
    .bind(to.as_str())
    .bind(db::instant(now))
    .bind(practice.status.as_str())
    .bind(revision)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if claimed == 0 {
        tx.rollback().await?;
        let now_practice = get(&state.db, &practice.id)
            .await?
            .ok_or(SendError::NotFound)?;
        if now_practice.status == practice.status {
            return Ok(None);
        }
        return Ok(Some(Sent {
            status: now_practice.status.as_str().into(),
            protocol_number: now_practice.protocol_number.unwrap_or_default(),
            charged_cents: 0,
            refunded_cents: 0,
            already_sent: true,
        }));
    }
    let (protocol, settled) = if resend {
        let protocol = practice.protocol_number.clone().unwrap_or_default();
        let before = Money::from_cents(practice.fee_cents.unwrap_or(0));
        let settled = settle_difference(
            &mut tx, now, &actor, &practice, &protocol, before, fee.total,
        )
        .await?;
        sqlx::query("UPDATE practices SET fee_cents = $2 WHERE id = $1")
            .bind(&practice.id)
            .bind(fee.total.cents())
            .execute(&mut *tx)
            .await?;
        (protocol, settled)
    } else {
        let year = italian_day(now).year();
        let seq = counters::next(&mut tx, &format!("protocol:{}:{year}", chamber.id)).await?;
        let protocol = protocol_number(chamber.code.as_str(), year, seq);
        let settled = settle_difference(
            &mut tx,
            now,
            &actor,
            &practice,
            &protocol,
            Money::ZERO,
            fee.total,
        )
        .await?;
        sqlx::query(
            "UPDATE practices SET protocol_number = $2, protocol_year = $3, sent_at = $4, \
             fee_cents = $5, intermediary_id = $6 WHERE id = $1",
        )
        .bind(&practice.id)
        .bind(&protocol)
        .bind(i64::from(year))
        .bind(db::instant(now))
        .bind(fee.total.cents())
        // Who presented it: the sender's intermediary, or none when the company sent it.
        .bind(principal.intermediary_id())
        .execute(&mut *tx)
        .await?;
        (protocol, settled)
    };
    // The signed model that went (a rectification may have replaced it): what the officer
    // compares the next one with.
    crate::trade::practice::signed_model::mark_sent(&mut tx, &practice, now).await?;
    let (charged, refunded) = match settled {
        Settled::Charged(m) => (m, Money::ZERO),
        Settled::Refunded(m) => (Money::ZERO, m),
        Settled::Nothing => (Money::ZERO, Money::ZERO),
    };
    record_event(
        &mut tx,
        now,
        &practice.id,
        &actor,
        Some(practice.status),
        to,
        Some(&protocol),
    )
    .await?;
    audit::record(
        &mut tx,
        now,
        &actor,
        Change::new(if resend { "practice.resend" } else { "practice.send" }, "practice", Some(&practice.id))
            .before(serde_json::json!({"status": practice.status.as_str()}))
            .after(serde_json::json!({"status": to.as_str(), "protocol_number": protocol, "fee": fee.total.to_decimal_string(), "charged": charged.to_decimal_string(), "refunded": refunded.to_decimal_string()})),
    )
    .await?;
    crate::webhooks::practice_event(
        &mut tx,
        &state.config,
        now,
        &practice.id,
        crate::webhooks::Event::PracticeSent,
    )
    .await?;
    let type_it = state_label(practice.practice_type);
    let body = if resend {
        let (money_it, money_en) = match settled {
            Settled::Charged(m) => (
                format!(
                    "Le modifiche hanno portato i diritti di segreteria a {}: sono stati addebitati sul borsellino {} in più.",
                    fee.total.to_italian(),
                    m.to_italian()
                ),
                format!(
                    "The changes brought the fees to {}: {} more was charged to the wallet.",
                    fee.total.to_italian(),
                    m.to_italian()
                ),
            ),
            Settled::Refunded(m) => (
                format!(
                    "Le modifiche hanno portato i diritti di segreteria a {}: sono stati restituiti sul borsellino {}.",
                    fee.total.to_italian(),
                    m.to_italian()
                ),
                format!(
                    "The changes brought the fees to {}: {} was given back to the wallet.",
                    fee.total.to_italian(),
                    m.to_italian()
                ),
            ),
            Settled::Nothing => (
                "Non è stato addebitato alcun importo.".to_string(),
                "Nothing was charged.".to_string(),
            ),
        };
        format!(
            "La pratica {protocol} ({type_it}) è stata reinviata allo sportello {} della {} il {} alle {}, dopo la rettifica. {money_it}\n\n\
             Practice {protocol} was sent again to the {} desk after rectification. {money_en}\n",
            desk.name,
            chamber.name,
            display::date(italian_day(now)),
            display::time(now),
            desk.name
        )
    } else {
        format!(
            "La pratica {type_it} è stata protocollata con il numero {protocol} il {} alle {} per lo sportello {} della {}.\n\
             Diritti di segreteria addebitati sul borsellino: {}.\n\n\
             The practice was registered with protocol number {protocol} for the {} desk. Fees charged to the wallet: {}.\n",
            display::date(italian_day(now)),
            display::time(now),
            desk.name,
            chamber.name,
            charged.to_italian(),
            desk.name,
            charged.to_italian()
        )
    };
    notify::queue(
        &mut tx,
        now,
        OutgoingEmail {
            to: profile.notification_email.clone(),
            subject: format!(
                "Pratica {protocol} {}",
                if resend { "reinviata" } else { "protocollata" }
            ),
            body_text: body,
            chamber_id: Some(chamber.id.clone()),
            attachments: Vec::new(),
        },
    )
    .await?;
    let outcome = Sent {
        status: to.as_str().into(),
        protocol_number: protocol,
        charged_cents: charged.cents(),
        refunded_cents: refunded.cents(),
        already_sent: false,
    };
    if let Some(key) = key {
        sqlx::query(
            "INSERT INTO idempotency_keys (user_id, key, practice_id, response_json, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&principal.user.id)
        .bind(key)
        .bind(&practice.id)
        .bind(serde_json::to_string(&Sent { already_sent: true, ..outcome.clone() }).map_err(|e| sqlx::Error::Encode(e.into()))?)
        .bind(db::instant(now))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Some(outcome))
}

/// What a send did to the wallet.
#[derive(Clone, Copy, Debug)]
enum Settled {
    Charged(Money),
    Refunded(Money),
    Nothing,
}

/// Brings what the wallet was charged for a practice from `before` to `fee`, inside the send's
/// transaction: the difference is charged or refunded, the ledger entry naming the protocol and,
/// on a resend, that it settles the changes of the rectification. A balance that cannot cover
/// it rolls nothing back here: the caller gets the error and drops the transaction.
async fn settle_difference(
    tx: &mut db::Tx,
    now: chrono::DateTime<chrono::Utc>,
    actor: &audit::Actor,
    practice: &Practice,
    protocol: &str,
    before: Money,
    fee: Money,
) -> Result<Settled, SendError> {
    let difference = fee.cents() - before.cents();
    let first = before.cents() == 0 && practice.protocol_number.is_none();
    let reference = if first {
        protocol.to_string()
    } else {
        format!("{protocol} · reinvio dopo rettifica")
    };
    let amount = Money::from_cents(difference.abs());
    let entry = wallet::PracticeFee {
        company_id: &practice.company_id,
        chamber_id: &practice.chamber_id,
        practice_id: &practice.id,
        amount,
        reference: &reference,
    };
    match difference.signum() {
        1 => match wallet::charge(tx, now, actor, entry).await {
            Ok(_) => Ok(Settled::Charged(amount)),
            Err(WalletError::InsufficientBalance { balance, missing }) => {
                Err(SendError::InsufficientBalance {
                    fee: amount,
                    resend: !first,
                    balance,
                    missing,
                })
            }
            Err(e) => Err(e.into()),
        },
        -1 => {
            wallet::refund(tx, now, actor, entry).await?;
            Ok(Settled::Refunded(amount))
        }
        _ => Ok(Settled::Nothing),
    }
}

/// The practice type's Italian name for e-mails.
fn state_label(t: PracticeType) -> &'static str {
    match t {
        PracticeType::CertificateOfOrigin => "certificato d'origine",
        PracticeType::InvoiceVisa => "visto su fattura",
        PracticeType::VisasAttestations => "visti e attestazioni",
        PracticeType::CertificateCopy => "copia di certificato",
        PracticeType::Cancellation => "annullamento di certificato",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn protocol_numbers_have_seven_digits_and_restart_by_year() {
        // Art. 57 d.P.R. 445/2000: progressive, at least seven digits, restarting each year.
        assert_eq!(
            crate::trade::practice::send::protocol_number("GE", 2026, 123),
            "GE/2026/0000123"
        );
    }
}
