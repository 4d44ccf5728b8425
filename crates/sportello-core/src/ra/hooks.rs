//! What revocation and the periodic checks need from the devices and appointments areas,
//! supplied by them, so `ra` does not depend on those areas.

use crate::db::{Db, Tx};
use crate::paging::{Cursor, Key, Keyed, Keyset, Order, Range, Slice};
use chrono::NaiveDate;

/// How many devices the given operators hold (in their box, or consigned and not yet issued
/// or returned), to be recalled on revocation.
pub async fn devices_held(db: &Db, operator_ids: &[String]) -> Result<i64, sqlx::Error> {
    crate::devices::inventory::held_by(db, operator_ids).await
}

/// Opens the recall of the devices consigned to a revoked ODR and its collaborators
/// (`holders`) inside the revocation's transaction; returns the devices listed.
pub async fn open_recall(
    tx: &mut Tx,
    now: chrono::DateTime<chrono::Utc>,
    today: NaiveDate,
    actor: &crate::audit::Actor,
    op: &crate::ra::operator::Operator,
    holders: &[String],
    effective: NaiveDate,
) -> Result<Vec<crate::devices::recall::Recalled>, sqlx::Error> {
    crate::devices::recall::open(
        tx,
        now,
        today,
        actor,
        &op.chamber_id,
        &op.id,
        holders,
        effective,
    )
    .await
}

/// Cancels the appointments booked with the given operators from `from` on, inside the
/// revocation's transaction, tells each applicant by e-mail and takes the operators off the
/// desks' rosters; returns how many were cancelled.
pub async fn cancel_future_appointments(
    tx: &mut Tx,
    operator_ids: &[String],
    from: NaiveDate,
) -> Result<i64, sqlx::Error> {
    // The hook is not given the revocation's instant: take it from the revocation's own
    // audit entry, the latest of this transaction (the start of `from` if there is none).
    let last: Option<String> =
        sqlx::query_scalar("SELECT at FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut **tx)
            .await?;
    let now = match last {
        Some(at) => crate::db::parse_instant(&at)?,
        None => crate::clock::start_of_italian_day(from),
    };
    crate::appointments::booking::cancel_for_operators(tx, now, operator_ids, from).await
}

/// What is wrong with how a device's delivery to its holder was recorded (RA procedure, part 1,
/// "Verifiche periodiche": "la verifica periodica circa l'operatività dei RAO/ODR/IR, in
/// particolare controllando l'esatta procedura di registrazione della consegna informatica dei
/// dispositivi agli utenti").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryAnomalyKind {
    /// The Certification Authority personalised the device (a certificate was issued for its
    /// serial, not revoked) but its delivery was never recorded: it is still in the operator's
    /// box or the ODR's consignment.
    NotRecorded,
    /// The delivery was recorded without its recipient: no holder's tax code, or no issuance
    /// session it belongs to.
    NoRecipient,
    /// The delivery was recorded by a user who is not the operator holding the device, nor one
    /// of the staff of the ODR organisation it was consigned to.
    RecordedByOther,
}

impl DeliveryAnomalyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryAnomalyKind::NotRecorded => "not_recorded",
            DeliveryAnomalyKind::NoRecipient => "no_recipient",
            DeliveryAnomalyKind::RecordedByOther => "recorded_by_other",
        }
    }
}

/// One device whose delivery record is wrong.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryAnomaly {
    /// The operator (or ODR organisation) that held the device.
    pub operator_id: String,
    pub serial: String,
    pub kind: DeliveryAnomalyKind,
    /// Who recorded the delivery, as the record names them; `None` when none was recorded.
    pub recorded_by: Option<String>,
}

/// RA procedure, part 1: the periodic check of the device-delivery records of the chamber's
/// operators, device by device, ordered by operator, serial and kind (see
/// [`DeliveryAnomalyKind`] for the rules). The whole list, read through the pages of
/// [`delivery_anomalies_page`] (the checks page reads one page only).
pub async fn delivery_anomalies(
    db: &Db,
    chamber_id: &str,
) -> Result<Vec<DeliveryAnomaly>, sqlx::Error> {
    let mut out = Vec::new();
    let mut request = Keyset::first(crate::paging::MAX_SIZE);
    loop {
        let page = delivery_anomalies_page(db, chamber_id, &request).await?;
        out.extend(page.items);
        match page.next {
            Some(key) => request.cursor = Cursor::After(key),
            None => break,
        }
    }
    out.sort_by(|a, b| {
        (&a.operator_id, &a.serial, a.kind).cmp(&(&b.operator_id, &b.serial, b.kind))
    });
    Ok(out)
}

/// How many device-delivery anomalies a page of the checks page shows.
pub const ANOMALIES_PAGE: u32 = 50;

impl DeliveryAnomalyKind {
    const ALL: [DeliveryAnomalyKind; 3] = [
        DeliveryAnomalyKind::NotRecorded,
        DeliveryAnomalyKind::NoRecipient,
        DeliveryAnomalyKind::RecordedByOther,
    ];

    /// The kind's place in a page's order, as one digit.
    fn rank(self) -> u8 {
        match self {
            DeliveryAnomalyKind::NotRecorded => 0,
            DeliveryAnomalyKind::NoRecipient => 1,
            DeliveryAnomalyKind::RecordedByOther => 2,
        }
    }
}

/// Separates the operator from the kind in a page key's sort part; below every character of
/// an id, so the text order of keys is the order of (operator, kind).
const KEY_SEPARATOR: char = '\u{1f}';

/// An anomaly and where it stands in the pages: (operator, kind) as the sort key, then the
/// serial (a device never recorded) or the issue move's id (a wrong record).
struct Placed {
    key: Key,
    anomaly: DeliveryAnomaly,
}

impl Keyed for Placed {
    fn key(&self) -> Key {
        self.key.clone()
    }
}

/// Where a cursor stands: operator, kind's rank, serial or move id. A key that is not one of
/// these pages' (crafted, or of another list) still only says where to start.
fn cursor_of(key: &Key) -> (String, u8, String) {
    match key.sort.rsplit_once(KEY_SEPARATOR) {
        Some((operator, rank)) => (
            operator.to_string(),
            rank.parse().unwrap_or(0),
            key.id.clone(),
        ),
        None => (key.sort.clone(), 0, key.id.clone()),
    }
}

/// The range condition and order of one kind's part of a page over (`operator`, `tie`), its
/// parameters numbered from `$2`: the rows strictly past the cursor in the range's direction.
/// Returns the condition, the order with its `LIMIT`, and the values to bind before the limit.
fn part_range(rank: u8, range: &Range, operator: &str, tie: &str) -> (String, String, Vec<String>) {
    let (cmp, strict, dir) = if range.ascending {
        (">=", ">", "ASC")
    } else {
        ("<=", "<", "DESC")
    };
    let order = |n: usize| format!(" ORDER BY {operator} {dir}, {tie} {dir} LIMIT ${n}");
    let Some(from) = range.from.as_ref() else {
        return (String::new(), order(2), Vec::new());
    };
    let (from_operator, from_rank, from_tie) = cursor_of(from);
    // Within the cursor's operator, this kind comes after the cursor's (all its rows), is the
    // cursor's (the rows past its serial or move), or comes before it (none of its rows).
    let later = if range.ascending {
        rank > from_rank
    } else {
        rank < from_rank
    };
    if rank == from_rank {
        (
            format!(" AND {operator} {cmp} $2 AND ({operator} {strict} $2 OR {tie} {strict} $3)"),
            order(4),
            vec![from_operator, from_tie],
        )
    } else if later {
        (
            format!(" AND {operator} {cmp} $2"),
            order(3),
            vec![from_operator],
        )
    } else {
        (
            format!(" AND {operator} {strict} $2"),
            order(3),
            vec![from_operator],
        )
    }
}

/// The statement of one kind's part of [`delivery_anomalies_page`]: `$1` the chamber, then
/// what [`part_range`] numbers. A device never recorded is one range of
/// `dev_devices_chamber_holder_serial` (chamber, holder, serial); a wrong record is read
/// operator by operator (`ra_operators_chamber_id`), each one's issue moves in id order
/// (`dev_moves_holder_move`).
fn anomalies_sql(prefix: &str, kind: DeliveryAnomalyKind, range: &Range) -> (String, Vec<String>) {
    match kind {
        DeliveryAnomalyKind::NotRecorded => {
            let (condition, order, binds) =
                part_range(kind.rank(), range, "d.holder_operator_id", "d.serial");
            (
                format!(
                    "{prefix}SELECT d.holder_operator_id, d.serial FROM dev_devices d \
                     WHERE d.chamber_id = $1 AND d.holder_operator_id IS NOT NULL \
                     AND d.state IN ('in_operator_box', 'consigned_to_odr') \
                     AND EXISTS (SELECT 1 FROM iss_certificates c WHERE c.chamber_id = d.chamber_id \
                     AND c.device_serial = d.serial AND c.revoked_at IS NULL){condition}{order}"
                ),
                binds,
            )
        }
        DeliveryAnomalyKind::NoRecipient | DeliveryAnomalyKind::RecordedByOther => {
            let (condition, order, binds) = part_range(kind.rank(), range, "o.id", "m.id");
            let rule = if kind == DeliveryAnomalyKind::NoRecipient {
                // No holder's tax code or no issuance session: absent or blank.
                "(m.note IS NULL OR TRIM(m.note) = '' OR m.ref_id IS NULL OR TRIM(m.ref_id) = '')"
            } else {
                // Recorded by nobody who may: the holder's own user, or a user of the staff
                // of the ODR organisation holding it, among the chamber's operators.
                "NOT EXISTS (SELECT 1 FROM ra_operators p WHERE p.user_id = m.actor_id \
                 AND p.chamber_id = $1 AND (p.id = m.from_holder OR p.organisation_id = m.from_holder))"
            };
            (
                format!(
                    "{prefix}SELECT o.id, d.serial, m.id, m.actor FROM ra_operators o \
                     JOIN dev_moves m ON m.from_holder = o.id AND m.move = 'issue' \
                     JOIN dev_devices d ON d.id = m.device_id \
                     WHERE o.chamber_id = $1 AND d.chamber_id = $1 AND {rule}{condition}{order}"
                ),
                binds,
            )
        }
    }
}

/// One page of the device-delivery anomalies of the chamber (issue 14: the checks page read
/// every issue move and every held device of the chamber), ordered by operator, then kind,
/// then serial (a device never recorded) or the order the deliveries were recorded (a wrong
/// record); each kind is a range read from the cursor, never more than a page and a row. The
/// rule is [`DeliveryAnomalyKind`]'s, over the chamber's operators; a blank value is one of
/// spaces. A cursor of another chamber's row only says where to start.
pub async fn delivery_anomalies_page(
    db: &Db,
    chamber_id: &str,
    request: &Keyset,
) -> Result<Slice<DeliveryAnomaly>, sqlx::Error> {
    let slice = crate::paging::keyset(
        request,
        Order::Ascending,
        DeliveryAnomalyKind::ALL.len(),
        |part, range| async move {
            let kind = DeliveryAnomalyKind::ALL[part];
            let (sql, binds) = anomalies_sql("", kind, &range);
            let key = |operator: &str, tie: String| delivery_anomaly_key(operator, kind, &tie);
            if kind == DeliveryAnomalyKind::NotRecorded {
                let mut q = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql))
                    .bind(chamber_id);
                for b in binds {
                    q = q.bind(b);
                }
                let rows = q.bind(range.limit).fetch_all(db.pool()).await?;
                Ok(rows
                    .into_iter()
                    .map(|(operator_id, serial)| Placed {
                        key: key(&operator_id, serial.clone()),
                        anomaly: DeliveryAnomaly {
                            operator_id,
                            serial,
                            kind,
                            recorded_by: None,
                        },
                    })
                    .collect())
            } else {
                let mut q =
                    sqlx::query_as::<_, (String, String, String, String)>(sqlx::AssertSqlSafe(sql))
                        .bind(chamber_id);
                for b in binds {
                    q = q.bind(b);
                }
                let rows = q.bind(range.limit).fetch_all(db.pool()).await?;
                Ok(rows
                    .into_iter()
                    .map(|(operator_id, serial, move_id, actor)| Placed {
                        key: key(&operator_id, move_id),
                        anomaly: DeliveryAnomaly {
                            operator_id,
                            serial,
                            kind,
                            recorded_by: Some(actor),
                        },
                    })
                    .collect())
            }
        },
    )
    .await?;
    Ok(slice.map(|p| p.anomaly))
}

/// The engine's plans of the statements [`delivery_anomalies_page`] runs after `from` (the
/// first page without), one a kind, in the order of [`DeliveryAnomalyKind`].
pub async fn delivery_anomalies_plans(
    db: &Db,
    chamber_id: &str,
    from: Option<&Key>,
) -> Result<Vec<Vec<String>>, sqlx::Error> {
    let range = Range {
        from: from.cloned(),
        ascending: true,
        limit: i64::from(ANOMALIES_PAGE) + 1,
    };
    let mut plans = Vec::new();
    for kind in DeliveryAnomalyKind::ALL {
        let (sql, binds) = anomalies_sql(crate::paging::explain(db), kind, &range);
        let mut q =
            sqlx::query_as::<_, crate::paging::PlanLine>(sqlx::AssertSqlSafe(sql)).bind(chamber_id);
        for b in binds {
            q = q.bind(b);
        }
        plans.push(crate::paging::plan(db, q.bind(range.limit)).await?);
    }
    Ok(plans)
}

/// The page key of an anomaly's operator and kind, with `tie` (the serial of a device never
/// recorded, the move's id of a wrong record): for tests that craft a cursor.
pub fn delivery_anomaly_key(operator_id: &str, kind: DeliveryAnomalyKind, tie: &str) -> Key {
    Key::new(format!("{operator_id}{KEY_SEPARATOR}{}", kind.rank()), tie)
}
