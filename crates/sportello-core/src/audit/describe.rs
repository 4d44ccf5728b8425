//! The audit trail as people read it: each entry as a sentence in the reader's language
//! ("Mario Rossi ha approvato la pratica 2026/000123"), and its recorded data as a labelled
//! list, never as stored codes or JSON.

use crate::audit::Entry;
use crate::db::Db;
use crate::i18n::Lang;
use std::collections::HashMap;

/// Every action the code records. Each has its sentence in both languages
/// (`audit-action-…` in `locales/*/audit.ftl`); a test checks that the code records no
/// other and that no sentence is missing.
pub const ACTIONS: &[&str] = &[
    "advance.consume",
    "advance.free_allowance",
    "advance.full_service",
    "advance.hold",
    "advance.refund",
    "advance.release",
    "advance.top_up",
    "api_token.issue",
    "api_token.revoke",
    "appointment.book",
    "appointment.cancel",
    "appointment.confirm",
    "appointment.no_show",
    "appointment.plan",
    "appointment.roster",
    "appointment.served",
    "base_model.create",
    "base_model.delete",
    "base_model.einvoice_add",
    "base_model.einvoice_remove",
    "base_model.update",
    "blank_forms.assign",
    "blank_forms.return",
    "blank_paper.authorise",
    "blank_paper.withdraw",
    "certificate.cancel",
    "certificate.form_returned",
    "certificate.issue",
    "chamber.create",
    "chamber.pagopa",
    "chamber_seal.set",
    "company_profile.save",
    "company_user.invitation_cancel",
    "company_user.invite",
    "company_user.remove",
    "company_user.scope",
    "delegation.approve",
    "delegation.reject",
    "delegation.request",
    "desk.create",
    "device.consign",
    "device.delivery",
    "device.free_grant",
    "device.issue",
    "device.mark_damaged",
    "device.mark_destroyed",
    "device.mark_lost",
    "device.odr_report.reconcile",
    "device.odr_report.submit",
    "device.recall.close",
    "device.recall.open",
    "device.recall.remind",
    "device.recall.return_confirm",
    "device.recall.return_report",
    "device.refund_decision",
    "device.return_to_ca",
    "device.return_to_cabinet",
    "device.store",
    "device.withdraw_to_box",
    "device.withdrawal.approve",
    "device.withdrawal.reject",
    "device.withdrawal.request",
    "device.write_off.approve",
    "device.write_off.reject",
    "device.write_off.request",
    "document.issue",
    "intermediary.add_user",
    "intermediary.create",
    "intermediary.invitation_accept",
    "intermediary.invitation_cancel",
    "intermediary.invite_user",
    "intermediary.reactivate",
    "intermediary.remove_user",
    "intermediary.suspend",
    "intermediary_mandate.grant",
    "intermediary_mandate.revoke",
    "issuance.clause_accepted",
    "issuance.id_scan.delete",
    "issuance.open",
    "issuance.step",
    "practice.approve",
    "practice.attach",
    "practice.create",
    "practice.delete_draft",
    "practice.detach",
    "practice.details",
    "practice.reject",
    "practice.request_rectification",
    "practice.resend",
    "practice.send",
    "practice.signed_model.replace",
    "practice.stamps",
    "practice.take",
    "ra.convention.renew",
    "ra.convention.set",
    "ra.course.record",
    "ra.manager.prepare",
    "ra.manager.sign",
    "ra.mandate.extend",
    "ra.office.create",
    "ra.operator.activate",
    "ra.operator.create",
    "ra.operator.link_user",
    "ra.operator.pass_course",
    "ra.operator.receive_documents",
    "ra.operator.record_interest",
    "ra.operator.request_course",
    "ra.operator.revoke",
    "ra.operator.send_mandate",
    "ra.operator.send_to_ca",
    "ra.operator.suspend",
    "ra.publication.publish",
    "ra.revocation",
    "ra.self_check.draw",
    "ra.self_check.outcome",
    "ra.staff_sheet.record",
    "registry.import",
    "revocation_list.add",
    "tariff.set",
    "trust_anchor.add",
    "trust_anchor.remove",
    "user.company_link",
    "user.create",
    "user.disable",
    "user.enable",
    "user.locked",
    "user.login",
    "user.login_failed",
    "user.login_refused",
    "user.password_change",
    "user.password_reset",
    "user.password_reset_request",
    "user.sign_up",
    "user.sign_up_link",
    "wallet.charge",
    "wallet.pagopa_anomaly_resolved",
    "wallet.pagopa_cancel",
    "wallet.pagopa_expire",
    "wallet.pagopa_import",
    "wallet.pagopa_position",
    "wallet.refund",
    "wallet.top_up",
    "webhook.create",
    "webhook.delete",
];

/// The message key of an action's sentence: `practice.request_rectification` →
/// `audit-action-practice-request-rectification`.
pub fn message_key(action: &str) -> String {
    format!("audit-action-{}", action.replace(['.', '_'], "-"))
}

/// One entry, described.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Described {
    pub seq: i64,
    pub at: String,
    /// Who acted: a person's name, or what the system was.
    pub actor: String,
    /// What was done to what, as a sentence.
    pub sentence: String,
    /// The recorded state before and after, as labelled values.
    pub before: Vec<(String, String)>,
    pub after: Vec<(String, String)>,
}

/// Describes `entries` in `lang`, naming people and the objects acted on.
pub async fn describe(
    db: &Db,
    lang: Lang,
    entries: Vec<Entry>,
) -> Result<Vec<Described>, sqlx::Error> {
    let mut names = Names::default();
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let actor = match &e.actor_id {
            Some(id) => names.user(db, id).await?,
            None => None,
        }
        .unwrap_or_else(|| actor_label(lang, &e.actor));
        let subject = match &e.entity_id {
            Some(id) => names.entity(db, &e.entity_type, id).await?,
            None => None,
        };
        let mut sentence = sentence(lang, &e.action, &actor, subject.as_deref());
        let before = names.named(db, e.before_json.as_deref()).await?;
        let after_value = e
            .after_json
            .as_deref()
            .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok());
        // Issue 15, item 3: who acted for whom, by name ("per conto di ACME S.p.A. tramite
        // Rossi Spedizioni S.r.l."), never the intermediary's id.
        let through = match after_value
            .as_ref()
            .and_then(|v| v.get("acting_intermediary_id"))
            .and_then(|v| v.as_str())
        {
            Some(id) => names.entity(db, "intermediary", id).await?,
            None => None,
        };
        if let Some(intermediary) = through {
            let company = match &e.entity_id {
                Some(id) => names.company_of(db, &e.entity_type, id).await?,
                None => None,
            };
            let words = match company {
                Some(company) => lang.t_args(
                    "audit-on-behalf",
                    &[("company", company), ("intermediary", intermediary)],
                ),
                None => lang.t_args("audit-through", &[("intermediary", intermediary)]),
            };
            sentence.push_str(", ");
            sentence.push_str(&words);
        }
        let after = names.named(db, e.after_json.as_deref()).await?;
        out.push(Described {
            sentence,
            before: fields(lang, before.as_deref()),
            after: fields(lang, after.as_deref()),
            seq: e.seq,
            at: e.at,
            actor,
        });
    }
    Ok(out)
}

/// The sentence of an action: its message with the actor, followed by the object's name.
pub fn sentence(lang: Lang, action: &str, actor: &str, subject: Option<&str>) -> String {
    let args = [("actor", actor.to_string())];
    let key = message_key(action);
    let mut text = lang.t_args(&key, &args);
    if text == key {
        text = lang.t_args("audit-action-other", &args);
    }
    if let Some(s) = subject.filter(|s| !s.is_empty() && *s != actor) {
        text.push(' ');
        text.push_str(s);
    }
    text
}

/// A non-person actor (`cli`, `worker`, `public`, …) by what it is; other labels (the
/// e-mail of a person no longer on file) as recorded. Pages that keep an actor's label (a
/// ledger's "who") show it this way when no user account has it.
pub fn actor_label(lang: Lang, label: &str) -> String {
    match label {
        "cli" => lang.t("audit-actor-cli"),
        "public" | "second-screen" => lang.t("audit-actor-public"),
        l if l.contains('@') => l.to_string(),
        _ => lang.t("audit-actor-system"),
    }
}

/// Names looked up once per page.
#[derive(Default)]
struct Names(HashMap<(String, String), Option<String>>);

/// Recorded fields holding the id of something with a name, and what it is: the audit shows
/// the name (issue 15, item 3: the intermediary by name, not by id).
const NAMED_IDS: &[(&str, &str)] = &[
    ("acting_intermediary_id", "intermediary"),
    ("intermediary_id", "intermediary"),
    ("user_id", "user"),
];

impl Names {
    /// The recorded JSON with the ids of [`NAMED_IDS`] replaced by their names (an id whose
    /// object is gone stays as it was).
    async fn named(&mut self, db: &Db, json: Option<&str>) -> Result<Option<String>, sqlx::Error> {
        let Some(mut value) = json.and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
        else {
            return Ok(json.map(str::to_string));
        };
        if let Some(map) = value.as_object_mut() {
            for (field, entity_type) in NAMED_IDS {
                let Some(id) = map.get(*field).and_then(|v| v.as_str()).map(str::to_string) else {
                    continue;
                };
                if let Some(name) = self.entity(db, entity_type, &id).await? {
                    map.insert((*field).to_string(), serde_json::Value::String(name));
                }
            }
        }
        Ok(Some(value.to_string()))
    }

    /// The company a practice or base model belongs to, for "per conto di …".
    async fn company_of(
        &mut self,
        db: &Db,
        entity_type: &str,
        id: &str,
    ) -> Result<Option<String>, sqlx::Error> {
        match entity_type {
            "practice" => self.entity(db, "practice_company", id).await,
            "base_model" => self.entity(db, "model_company", id).await,
            "company" => self.entity(db, "company", id).await,
            _ => Ok(None),
        }
    }

    async fn user(&mut self, db: &Db, id: &str) -> Result<Option<String>, sqlx::Error> {
        self.entity(db, "user", id).await
    }

    async fn entity(
        &mut self,
        db: &Db,
        entity_type: &str,
        id: &str,
    ) -> Result<Option<String>, sqlx::Error> {
        let sql = match entity_type {
            "user" => "SELECT name FROM users WHERE id = $1",
            "practice" => "SELECT protocol_number FROM practices WHERE id = $1",
            "device" => "SELECT serial FROM dev_devices WHERE id = $1",
            "ra_operator" => "SELECT name FROM ra_operators WHERE id = $1",
            "company" => "SELECT name FROM companies WHERE id = $1",
            "delegation_request" => {
                "SELECT c.name FROM delegation_requests d JOIN companies c ON c.id = d.company_id \
                 WHERE d.id = $1"
            }
            "intermediary" => "SELECT name FROM intermediaries WHERE id = $1",
            "practice_company" => {
                "SELECT c.name FROM practices p JOIN companies c ON c.id = p.company_id \
                 WHERE p.id = $1"
            }
            "model_company" => {
                "SELECT c.name FROM base_models m JOIN companies c ON c.id = m.company_id \
                 WHERE m.id = $1"
            }
            _ => return Ok(None),
        };
        let cache_key = (entity_type.to_string(), id.to_string());
        if let Some(found) = self.0.get(&cache_key) {
            return Ok(found.clone());
        }
        let found: Option<Option<String>> = sqlx::query_scalar(sql)
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
        let found = found.flatten();
        self.0.insert(cache_key, found.clone());
        Ok(found)
    }
}

/// Recorded JSON as labelled values: nested objects give `label › label`, lists are joined,
/// instants and dates are written the Italian way, yes/no in words.
pub fn fields(lang: Lang, json: Option<&str>) -> Vec<(String, String)> {
    let Some(value) = json.and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    flatten(lang, "", &value, &mut out);
    out
}

fn flatten(lang: Lang, prefix: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let label = field_label(lang, k);
                let label = if prefix.is_empty() {
                    label
                } else {
                    format!("{prefix} › {label}")
                };
                flatten(lang, &label, v, out);
            }
        }
        other => {
            let label = if prefix.is_empty() {
                lang.t("audit-details")
            } else {
                prefix.to_string()
            };
            out.push((label, field_value(lang, other)));
        }
    }
}

/// A recorded field's label: its `audit-field-…` message when there is one, else the name
/// in words (`tax_code` → `Tax code`).
fn field_label(lang: Lang, name: &str) -> String {
    let key = format!("audit-field-{}", name.replace('_', "-"));
    let text = lang.t(&key);
    if text != key {
        return text;
    }
    let words = name.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

fn field_value(lang: Lang, value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Null => lang.t("audit-none-value"),
        Value::Bool(b) => lang.t(if *b { "audit-yes" } else { "audit-no" }),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            let key = format!("audit-value-{}", s.replace('_', "-"));
            let word = lang.t(&key);
            let code = !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            if code && word != key {
                word
            } else if code {
                // A stored code without its word yet: at least no `snake_case` on screen.
                s.replace('_', " ")
            } else if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                crate::display::date(d)
            } else if chrono::DateTime::parse_from_rfc3339(s).is_ok() {
                crate::display::stored_instant(s)
            } else {
                s.clone()
            }
        }
        Value::Array(items) => items
            .iter()
            .map(|v| match v {
                Value::Object(_) => {
                    let mut inner = Vec::new();
                    flatten(lang, "", v, &mut inner);
                    inner
                        .into_iter()
                        .map(|(k, v)| format!("{k}: {v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
                other => field_value(lang, other),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Value::Object(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The dotted names the code passes to `Change::new` (directly or through a function
    /// returning one), read from the source of every file that records a change. File names
    /// in those files (`mandato.pdf`) and columns of a table alias (`u.email`) are not actions.
    fn recorded_actions() -> BTreeSet<String> {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        collect(&src, &mut files);
        let mut found = BTreeSet::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            if !text.contains("Change::new(") || file.ends_with("audit/describe.rs") {
                continue;
            }
            for literal in text.split('"').skip(1).step_by(2) {
                let parts: Vec<&str> = literal.split('.').collect();
                // `u.email` in a query is a table alias's column, not an action.
                let dotted = parts.len() >= 2
                    && parts[0].len() > 1
                    && parts.iter().all(|p| {
                        p.starts_with(|c: char| c.is_ascii_lowercase())
                            && p.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    });
                let file_name = matches!(
                    parts.last().copied(),
                    Some("pdf" | "xml" | "png" | "p7m" | "jpg" | "csv" | "txt" | "json")
                );
                if dotted && !file_name {
                    found.insert(literal.to_string());
                }
            }
        }
        // The webhook events are names an ERP receives, not audit actions.
        for event in crate::webhooks::Event::ALL {
            found.remove(event.as_str());
        }
        found
    }

    fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    collect(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
    }

    #[test]
    fn every_recorded_action_has_its_sentence_in_both_languages() {
        let listed: BTreeSet<String> = ACTIONS.iter().map(|a| a.to_string()).collect();
        let recorded = recorded_actions();
        let unlisted: Vec<_> = recorded.difference(&listed).collect();
        assert!(
            unlisted.is_empty(),
            "recorded but not in ACTIONS: {unlisted:?}"
        );
        for action in ACTIONS {
            for lang in [Lang::It, Lang::En] {
                let text = sentence(lang, action, "Mario Rossi", None);
                let other = lang.t_args("audit-action-other", &[("actor", "Mario Rossi".into())]);
                assert!(text != other, "{action} has no sentence in {lang:?}");
                assert!(!text.contains(action), "{action} in {lang:?}: {text}");
            }
        }
    }

    #[test]
    fn an_entry_reads_as_a_sentence_naming_its_object() {
        assert_eq!(
            sentence(
                Lang::It,
                "practice.approve",
                "Mario Rossi",
                Some("2026/000123")
            ),
            "Mario Rossi ha approvato la pratica 2026/000123"
        );
        assert_eq!(
            sentence(
                Lang::En,
                "practice.approve",
                "Mario Rossi",
                Some("2026/000123")
            ),
            "Mario Rossi approved the practice 2026/000123"
        );
        assert_eq!(
            sentence(Lang::It, "user.login", "Mario Rossi", Some("Mario Rossi")),
            "Mario Rossi ha effettuato l'accesso"
        );
        assert_eq!(
            sentence(Lang::It, "nothing.known", "Il sistema", None),
            "Il sistema ha eseguito un'operazione"
        );
    }

    #[test]
    fn recorded_data_reads_as_a_labelled_list() {
        let json = r#"{"status":"approved","tax_code":"RSSMRA80A01H501U","at":"2026-12-06T15:58:00Z","due":"2026-12-06","paid":true,"lines":[{"copies":2}]}"#;
        let got = fields(Lang::It, Some(json));
        let text = format!("{got:?}");
        assert!(!text.contains('{') && !text.contains("tax_code"), "{text}");
        assert!(
            got.contains(&("Codice fiscale".into(), "RSSMRA80A01H501U".into())),
            "{text}"
        );
        assert!(
            got.contains(&("At".into(), "06/12/2026 16:58".into())),
            "{text}"
        );
        assert!(got.contains(&("Due".into(), "06/12/2026".into())), "{text}");
        assert!(got.contains(&("Paid".into(), "sì".into())), "{text}");
        assert!(
            got.contains(&("Stato".into(), "approvata".into())),
            "{text}"
        );
        assert!(got.contains(&("Lines".into(), "Copie: 2".into())), "{text}");
        assert!(fields(Lang::It, Some("not json")).is_empty());
    }

    #[test]
    fn a_recorded_code_reads_as_words_even_without_its_message() {
        let got = fields(
            Lang::It,
            Some(r#"{"device":"smart_card","channel":"front_desk"}"#),
        );
        assert!(
            got.contains(&("Dispositivo".into(), "smart card".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&("Channel".into(), "front desk".into())),
            "{got:?}"
        );
    }
}
