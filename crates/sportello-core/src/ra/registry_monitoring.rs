//! Registry monitoring of the operators (RA procedure, part 1, "Verifiche periodiche": "al
//! monitoraggio periodico tramite l'applicazione Ri Build in relazione alle modifiche societarie
//! e l'eventuale cancellazione del soggetto incaricato").
//!
//! Each comparison reads what the Registry import says of an operator (a [`RegistryPicture`])
//! and compares it with the operator as registered and with the picture of the previous
//! comparison. The rules, one function each:
//! - organisations: [`organisation_ceased`], [`organisation_renamed`],
//!   [`legal_representative_changed`];
//! - natural persons: [`sole_trader_ceased`], [`sole_trader_renamed`],
//!   [`no_longer_representative`], [`person_left_the_registry`].
//!
//! What the Registry import can tell of a person: the import carries companies, not people. A
//! person appears in it as a sole trader (impresa individuale: a company whose tax code is the
//! person's) or among the legal representatives (`rappresentanti`) of companies. The extract has
//! no flag for a death and no register of people, so a death or a cancellation is seen only
//! through its effects on that data: the sole trade ceased (`stato` CESSATA), the person taken
//! off a company's representatives, or the person gone from the data altogether.

use crate::ra::operator::Operator;
use serde::{Deserialize, Serialize};

/// A company of the Registry as the monitoring reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryCompany {
    pub tax_code: String,
    pub name: String,
    /// `active` or `ceased`.
    pub status: String,
    /// The tax codes of its legal representatives, sorted; empty when the extract lists none.
    pub representatives: Vec<String>,
}

impl RegistryCompany {
    pub fn is_ceased(&self) -> bool {
        self.status == "ceased"
    }
}

/// What the Registry says of one operator at one comparison.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryPicture {
    /// The company with the operator's own tax code: the organisation itself, or a person's
    /// sole trade.
    pub own: Option<RegistryCompany>,
    /// For a person: the companies that list them among their legal representatives, sorted by
    /// tax code (their `representatives` are left empty).
    pub represents: Vec<RegistryCompany>,
}

impl RegistryPicture {
    /// Whether the person appears in the Registry's data at all: an active sole trade or a
    /// company that lists them as legal representative.
    pub fn shows_the_person(&self) -> bool {
        self.own.as_ref().is_some_and(|c| !c.is_ceased()) || !self.represents.is_empty()
    }
}

/// One thing the monitoring found: `kind` is what `ra_registry_flags.kind` stores, `detail`
/// the Registry data the sentence quotes (a name, a list of names or tax codes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub kind: &'static str,
    pub detail: String,
}

fn finding(kind: &'static str, detail: impl Into<String>) -> Option<Finding> {
    Some(Finding {
        kind,
        detail: detail.into(),
    })
}

/// RA procedure, part 1 ("modifiche societarie"): the ODR/IR organisation is ceased in the
/// Registry.
pub fn organisation_ceased(now: &RegistryPicture) -> Option<Finding> {
    let own = now.own.as_ref().filter(|c| c.is_ceased())?;
    finding("ceased", &own.name)
}

/// RA procedure, part 1 ("modifiche societarie"): the organisation's name in the Registry is no
/// longer the one it had when it was registered as an operator.
pub fn organisation_renamed(op: &Operator, now: &RegistryPicture) -> Option<Finding> {
    let own = now.own.as_ref()?;
    let registered = op.registry_name.as_deref()?;
    (registered != own.name).then(|| finding("renamed", &own.name))?
}

/// RA procedure, part 1 ("modifiche societarie"): the organisation's legal representative
/// changed. The baseline is the legal representative recorded with the operator (the mandate's
/// signatory) when there is one, otherwise the representatives of the previous comparison. A
/// company for which the extract lists no representative tells nothing (older files have no
/// `rappresentanti` column). The detail is the representatives listed now.
pub fn legal_representative_changed(
    op: &Operator,
    prev: Option<&RegistryPicture>,
    now: &RegistryPicture,
) -> Option<Finding> {
    let own = now.own.as_ref().filter(|c| !c.representatives.is_empty())?;
    let changed = match &op.legal_rep_tax_code {
        Some(rep) => !own.representatives.iter().any(|r| r == rep.as_str()),
        None => prev.and_then(|p| p.own.as_ref()).is_some_and(|p| {
            !p.representatives.is_empty() && p.representatives != own.representatives
        }),
    };
    changed.then(|| finding("representative", own.representatives.join(", ")))?
}

/// RA procedure, part 1 ("eventuale cancellazione del soggetto incaricato"): the operator, a
/// natural person, is a sole trader whose business is ceased in the Registry (a cancellation,
/// for whatever reason, death included).
pub fn sole_trader_ceased(now: &RegistryPicture) -> Option<Finding> {
    organisation_ceased(now)
}

/// RA procedure, part 1 ("modifiche societarie"): the person's sole trade changed its name since
/// the previous comparison.
pub fn sole_trader_renamed(
    prev: Option<&RegistryPicture>,
    now: &RegistryPicture,
) -> Option<Finding> {
    let own = now.own.as_ref()?;
    let before = prev?.own.as_ref()?;
    (before.name != own.name).then(|| finding("renamed", &own.name))?
}

/// RA procedure, part 1 ("modifiche societarie"): a company that listed the person among its
/// legal representatives at the previous comparison no longer does, while the person is still
/// in the Registry's data (otherwise [`person_left_the_registry`] says it); one finding per
/// company, its name and tax code as detail.
pub fn no_longer_representative(
    prev: Option<&RegistryPicture>,
    now: &RegistryPicture,
) -> Vec<Finding> {
    let Some(prev) = prev.filter(|_| now.shows_the_person()) else {
        return Vec::new();
    };
    prev.represents
        .iter()
        .filter(|c| !now.represents.iter().any(|n| n.tax_code == c.tax_code))
        .filter_map(|c| {
            finding(
                "no_longer_representative",
                format!("{} ({})", c.name, c.tax_code),
            )
        })
        .collect()
}

/// RA procedure, part 1 ("eventuale cancellazione del soggetto incaricato"): the person was in
/// the Registry's data at the previous comparison and is no longer anywhere in it (no active
/// sole trade, no company listing them as representative): cancelled, or deceased, which the
/// extract cannot tell apart. A sole trade that ceased is [`sole_trader_ceased`] instead. The
/// detail names what the person was found in before.
pub fn person_left_the_registry(
    prev: Option<&RegistryPicture>,
    now: &RegistryPicture,
) -> Option<Finding> {
    let prev = prev.filter(|p| p.shows_the_person())?;
    if now.shows_the_person() || now.own.as_ref().is_some_and(RegistryCompany::is_ceased) {
        return None;
    }
    let was: Vec<&str> = prev
        .own
        .iter()
        .chain(prev.represents.iter())
        .map(|c| c.name.as_str())
        .collect();
    finding("missing", was.join(", "))
}

/// Everything the monitoring finds for `op` now, given the previous comparison's picture.
pub fn findings(
    op: &Operator,
    prev: Option<&RegistryPicture>,
    now: &RegistryPicture,
) -> Vec<Finding> {
    if op.is_organisation() {
        [
            organisation_ceased(now),
            organisation_renamed(op, now),
            legal_representative_changed(op, prev, now),
        ]
        .into_iter()
        .flatten()
        .collect()
    } else {
        let mut out: Vec<Finding> = [
            sole_trader_ceased(now),
            sole_trader_renamed(prev, now),
            person_left_the_registry(prev, now),
        ]
        .into_iter()
        .flatten()
        .collect();
        out.extend(no_longer_representative(prev, now));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ra::operator::OperatorKind;
    use crate::registry::TaxCode;

    fn company(tax: &str, name: &str, status: &str, reps: &[&str]) -> RegistryCompany {
        RegistryCompany {
            tax_code: tax.into(),
            name: name.into(),
            status: status.into(),
            representatives: reps.iter().map(|r| r.to_string()).collect(),
        }
    }

    fn organisation(legal_rep: Option<&str>) -> Operator {
        Operator {
            tax_code: TaxCode::parse("00743110157").unwrap(),
            registry_name: Some("CANTIERI DEL LEVANTE S.R.L.".into()),
            legal_rep_tax_code: legal_rep.map(|t| TaxCode::parse(t).unwrap()),
            ..Operator::sample(OperatorKind::Odr)
        }
    }

    /// RA procedure, part 1: a change of legal representative is a "modifica societaria".
    #[test]
    fn legal_representative_changed_against_the_recorded_one_or_the_previous_list() {
        let now = RegistryPicture {
            own: Some(company(
                "00743110157",
                "CANTIERI DEL LEVANTE S.R.L.",
                "active",
                &["VRDLRA85M41D969U"],
            )),
            represents: Vec::new(),
        };
        let recorded = organisation(Some("RSSMRA80A01H501U"));
        assert_eq!(
            legal_representative_changed(&recorded, None, &now),
            Some(Finding {
                kind: "representative",
                detail: "VRDLRA85M41D969U".into()
            })
        );
        let same = organisation(Some("VRDLRA85M41D969U"));
        assert_eq!(legal_representative_changed(&same, None, &now), None);
        // Nothing recorded: the previous list is the baseline; none before, nothing to say.
        let unrecorded = organisation(None);
        assert_eq!(legal_representative_changed(&unrecorded, None, &now), None);
        let before = RegistryPicture {
            own: Some(company(
                "00743110157",
                "CANTIERI DEL LEVANTE S.R.L.",
                "active",
                &["RSSMRA80A01H501U"],
            )),
            represents: Vec::new(),
        };
        assert!(legal_representative_changed(&unrecorded, Some(&before), &now).is_some());
        // An extract without representatives tells nothing.
        let silent = RegistryPicture {
            own: Some(company(
                "00743110157",
                "CANTIERI DEL LEVANTE S.R.L.",
                "active",
                &[],
            )),
            represents: Vec::new(),
        };
        assert_eq!(
            legal_representative_changed(&recorded, Some(&before), &silent),
            None
        );
    }

    /// RA procedure, part 1: "eventuale cancellazione del soggetto incaricato".
    #[test]
    fn a_person_who_left_the_registry_is_flagged_once_a_ceased_sole_trade_is_ceased() {
        let was = RegistryPicture {
            own: None,
            represents: vec![company(
                "01879020517",
                "LIGURE EXPORT S.R.L.",
                "active",
                &[],
            )],
        };
        let gone = RegistryPicture::default();
        assert_eq!(
            person_left_the_registry(Some(&was), &gone),
            Some(Finding {
                kind: "missing",
                detail: "LIGURE EXPORT S.R.L.".into()
            })
        );
        assert_eq!(
            person_left_the_registry(None, &gone),
            None,
            "never seen: nothing to say"
        );
        assert_eq!(person_left_the_registry(Some(&gone), &gone), None);
        let sole = RegistryPicture {
            own: Some(company("RSSMRA80A01H501U", "ROSSI MARIO", "active", &[])),
            represents: Vec::new(),
        };
        let ceased = RegistryPicture {
            own: Some(company("RSSMRA80A01H501U", "ROSSI MARIO", "ceased", &[])),
            represents: Vec::new(),
        };
        assert_eq!(person_left_the_registry(Some(&sole), &ceased), None);
        assert_eq!(sole_trader_ceased(&ceased).map(|f| f.kind), Some("ceased"));
        assert!(
            no_longer_representative(Some(&was), &gone).is_empty(),
            "said once, by the disappearance"
        );
        let still = RegistryPicture {
            own: Some(company("RSSMRA80A01H501U", "ROSSI MARIO", "active", &[])),
            represents: Vec::new(),
        };
        assert_eq!(
            no_longer_representative(Some(&was), &still),
            vec![Finding {
                kind: "no_longer_representative",
                detail: "LIGURE EXPORT S.R.L. (01879020517)".into()
            }]
        );
    }
}
