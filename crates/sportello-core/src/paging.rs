//! Lists that can grow are read a page at a time: a [`PageRequest`] says which page and how
//! long, a [`Page`] holds its items with the total the filters match, so a person reads
//! "640 dispositivi" and "Pagina 2 di 7" and is never silently shown only the first rows.
//!
//! A paged query selects `COUNT(*) OVER () AS page_total` next to its columns and reads its
//! rows as [`Counted`]; [`fetch`] runs it with `LIMIT`/`OFFSET`, so the total and the page
//! come from the same statement. A page past the end is answered with the last page.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};
use std::future::Future;

/// The largest page anyone may ask for.
pub const MAX_SIZE: u32 = 200;

/// Which page of a list, counted from 1, and how many items a page holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PageRequest {
    pub number: u64,
    pub size: u32,
}

impl PageRequest {
    /// Page `number` of pages of `size` items; 0 is read as 1, the size is kept within
    /// 1..=[`MAX_SIZE`].
    pub fn new(number: u64, size: u32) -> PageRequest {
        PageRequest {
            number: number.max(1),
            size: size.clamp(1, MAX_SIZE),
        }
    }

    /// The first page.
    pub fn first(size: u32) -> PageRequest {
        PageRequest::new(1, size)
    }

    /// The page a visitor typed in a URL (`?page=…`): a number below 1, a sign or text is the
    /// first page; a number too large for the list is its last page (see [`fetch`]).
    pub fn parse(raw: Option<&str>, size: u32) -> PageRequest {
        let raw = raw.unwrap_or("").trim();
        let number = match raw.parse::<u64>() {
            Ok(n) => n,
            // Digits beyond any list: the last page.
            Err(_) if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) => u64::MAX,
            Err(_) => 1,
        };
        PageRequest::new(number, size)
    }

    pub fn limit(self) -> i64 {
        i64::from(self.size)
    }

    /// Rows to skip; saturates instead of overflowing for an absurd page number.
    pub fn offset(self) -> i64 {
        let skip = (self.number - 1).saturating_mul(u64::from(self.size));
        i64::try_from(skip).unwrap_or(i64::MAX)
    }
}

/// One page of a list and the number of items the whole list holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Items in the whole list, every page together.
    pub total: u64,
    /// This page's number, from 1; the last page when more was asked.
    pub number: u64,
    pub size: u32,
}

impl<T> Page<T> {
    /// How many pages the list has; an empty list has one (empty) page.
    pub fn pages(&self) -> u64 {
        pages_for(self.total, self.size)
    }

    pub fn is_last(&self) -> bool {
        self.number >= self.pages()
    }

    /// The same page with each item changed.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            number: self.number,
            size: self.size,
        }
    }

    /// The same page with each item converted, or the first conversion's error.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_, _>>()?,
            total: self.total,
            number: self.number,
            size: self.size,
        })
    }

    /// A page cut from a list already read in full (a list whose scope is decided in code,
    /// such as the operators of an office subtree).
    pub fn of_all(all: Vec<T>, request: PageRequest) -> Page<T> {
        let total = all.len() as u64;
        let number = request.number.min(pages_for(total, request.size));
        let skip = usize::try_from((number - 1) * u64::from(request.size)).unwrap_or(usize::MAX);
        Page {
            items: all
                .into_iter()
                .skip(skip)
                .take(request.size as usize)
                .collect(),
            total,
            number,
            size: request.size,
        }
    }
}

fn pages_for(total: u64, size: u32) -> u64 {
    total.div_ceil(u64::from(size.max(1))).max(1)
}

/// A row of a paged query with the total of the whole list (`page_total`, from
/// `COUNT(*) OVER ()`).
#[derive(Debug)]
pub struct Counted<R> {
    pub row: R,
    pub total: i64,
}

impl<'r, R: FromRow<'r, AnyRow>> FromRow<'r, AnyRow> for Counted<R> {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Counted {
            row: R::from_row(row)?,
            total: row.try_get("page_total")?,
        })
    }
}

/// Reads one page with `query(limit, offset)`, a query whose rows carry `page_total`. When
/// the page asked for lies past the end, the list's last page is read instead: asking one
/// row of the first page tells the total.
pub async fn fetch<R, F, Fut>(request: PageRequest, query: F) -> Result<Page<R>, sqlx::Error>
where
    F: Fn(i64, i64) -> Fut,
    Fut: Future<Output = Result<Vec<Counted<R>>, sqlx::Error>>,
{
    let rows = query(request.limit(), request.offset()).await?;
    let (rows, number) = match rows.first() {
        Some(_) => (rows, request.number),
        None if request.number == 1 => (rows, 1),
        None => {
            let total = query(1, 0)
                .await?
                .first()
                .map(|c| u64::try_from(c.total).unwrap_or(0))
                .unwrap_or(0);
            let last = pages_for(total, request.size);
            let last_page = PageRequest::new(last, request.size);
            (query(last_page.limit(), last_page.offset()).await?, last)
        }
    };
    let total = rows
        .first()
        .map(|c| u64::try_from(c.total).unwrap_or(0))
        .unwrap_or(0);
    Ok(Page {
        items: rows.into_iter().map(|c| c.row).collect(),
        total,
        number,
        size: request.size,
    })
}

/// The total of a paged query alone (its first row's `page_total`), for a count shown
/// elsewhere (a home page) that must match the list it links to.
pub async fn total<R, F, Fut>(query: F) -> Result<u64, sqlx::Error>
where
    F: Fn(i64, i64) -> Fut,
    Fut: Future<Output = Result<Vec<Counted<R>>, sqlx::Error>>,
{
    Ok(fetch(PageRequest::first(1), query).await?.total)
}

/// The largest count a home page says exactly (issue 14). A count is read from at most one
/// row more than this, whatever the size of the list: a count above it means "more than
/// [`COUNT_CAP`]" ("più di 999"), never a read of a whole company's history.
pub const COUNT_CAP: u64 = 999;

/// `inner` (a statement ending in `LIMIT $n`, the rows a count may read) wrapped so that it
/// answers how many rows it read, and `extra` aggregates over them (`, MIN(capped.x)`).
pub fn capped_count_sql(inner: &str, extra: &str) -> String {
    format!("SELECT COUNT(*){extra} FROM ({inner}) capped")
}

/// Where a row stands in a list read by keyset: its sort key (an instant, a serial, a
/// sequence number as text) and its id, which breaks ties. A list read this way never
/// counts or skips the rows before the page: the next page starts strictly after the last
/// row shown, the previous one strictly before the first (issue 14: lists of millions of
/// practices are read a page at a time through an index).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Key {
    pub sort: String,
    pub id: String,
}

impl Key {
    pub fn new(sort: impl Into<String>, id: impl Into<String>) -> Key {
        Key {
            sort: sort.into(),
            id: id.into(),
        }
    }

    /// The key as an opaque token for a URL (`?after=…`, `?before=…`): base64url of the sort
    /// key and the id.
    pub fn token(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("{}\n{}", self.sort, self.id))
    }

    /// The key a token names; `None` for anything that is not one (read as the first page).
    pub fn from_token(token: &str) -> Option<Key> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.trim())
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (sort, id) = text.split_once('\n')?;
        (sort.len() <= 200 && id.len() <= 200 && !id.contains('\n')).then(|| Key::new(sort, id))
    }
}

/// Which page of a keyset list: the first, the one after a row, or the one before a row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Cursor {
    #[default]
    First,
    After(Key),
    Before(Key),
}

/// A keyset page request: where it starts and how many rows it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyset {
    pub cursor: Cursor,
    pub size: u32,
}

impl Keyset {
    pub fn first(size: u32) -> Keyset {
        Keyset {
            cursor: Cursor::First,
            size: size.clamp(1, MAX_SIZE),
        }
    }

    /// The page a URL asks for (`?after=TOKEN` or `?before=TOKEN`); a token that is not one
    /// is the first page, never an error.
    pub fn parse(after: Option<&str>, before: Option<&str>, size: u32) -> Keyset {
        let key = |t: Option<&str>| t.filter(|t| !t.trim().is_empty()).and_then(Key::from_token);
        let cursor = match (key(after), key(before)) {
            (Some(k), _) => Cursor::After(k),
            (None, Some(k)) => Cursor::Before(k),
            (None, None) => Cursor::First,
        };
        Keyset {
            cursor,
            size: size.clamp(1, MAX_SIZE),
        }
    }
}

/// The order of a list by (sort key, id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Oldest or smallest first.
    Ascending,
    /// Newest or largest first.
    Descending,
}

/// What one index range of a keyset list reads: the rows strictly past `from` (when given)
/// in the direction `ascending`, at most `limit` of them. A query turns it into SQL with
/// [`Range::sql`].
#[derive(Clone, Debug)]
pub struct Range {
    pub from: Option<Key>,
    pub ascending: bool,
    pub limit: i64,
}

impl Range {
    /// The range [`keyset`] reads for the page of `size` after `from` (the first page
    /// without) of a list in `order`: the page and one row more, which says whether another
    /// page follows.
    pub fn page(from: Option<&Key>, order: Order, size: u32) -> Range {
        Range {
            from: from.cloned(),
            ascending: order == Order::Ascending,
            limit: i64::from(size) + 1,
        }
    }

    /// The condition and the order of the range over `sort` (a column) and `id`, its
    /// parameters numbered from `$first` (the key's sort value and id, when there is a key,
    /// then the limit), bound in that order by [`Range::bind`]. The condition is written as a
    /// range on `sort` (`sort <= $a`) narrowed on `id` among equal keys, so both engines read
    /// it as a range of an index ending in (`sort`, `id`).
    pub fn sql(&self, sort: &str, id: &str, first: usize) -> (String, String) {
        let (cmp, strict, dir) = if self.ascending {
            (">=", ">", "ASC")
        } else {
            ("<=", "<", "DESC")
        };
        match self.from {
            Some(_) => {
                let (a, b, l) = (first, first + 1, first + 2);
                (
                    format!(
                        " AND {sort} {cmp} ${a} AND ({sort} {strict} ${a} OR {id} {strict} ${b})"
                    ),
                    format!(" ORDER BY {sort} {dir}, {id} {dir} LIMIT ${l}"),
                )
            }
            None => (
                String::new(),
                format!(" ORDER BY {sort} {dir}, {id} {dir} LIMIT ${first}"),
            ),
        }
    }

    /// Binds what [`Range::sql`] numbered: the key (when there is one), then the limit.
    pub fn bind<'q, O>(
        &self,
        q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments> {
        let q = match &self.from {
            Some(k) => q.bind(k.sort.clone()).bind(k.id.clone()),
            None => q,
        };
        q.bind(self.limit)
    }
}

/// A row of a keyset list and where it stands.
pub trait Keyed {
    fn key(&self) -> Key;
}

/// One page of a list read by keyset: its rows, and the keys to ask for the pages before
/// and after it (none at either end of the list).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Slice<T> {
    pub items: Vec<T>,
    pub previous: Option<Key>,
    pub next: Option<Key>,
}

impl<T> Slice<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Slice<U> {
        Slice {
            items: self.items.into_iter().map(f).collect(),
            previous: self.previous,
            next: self.next,
        }
    }

    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Slice<U>, E> {
        Ok(Slice {
            items: self.items.into_iter().map(f).collect::<Result<_, _>>()?,
            previous: self.previous,
            next: self.next,
        })
    }
}

/// Reads one keyset page of a list made of `parts` index ranges (a company and a status, a
/// desk and a status…), each read by `query(part, range)` in the list's order from the
/// cursor, at most one row more than a page; the ranges are merged by key and cut to the
/// page. No range reads more than a page and a row, whatever the size of the list.
pub async fn keyset<R, F, Fut>(
    request: &Keyset,
    order: Order,
    parts: usize,
    query: F,
) -> Result<Slice<R>, sqlx::Error>
where
    R: Keyed,
    F: Fn(usize, Range) -> Fut,
    Fut: Future<Output = Result<Vec<R>, sqlx::Error>>,
{
    let size = request.size as usize;
    let (from, backwards) = match &request.cursor {
        Cursor::First => (None, false),
        Cursor::After(k) => (Some(k), false),
        Cursor::Before(k) => (Some(k), true),
    };
    let ascending = (order == Order::Ascending) != backwards;
    let mut rows: Vec<(Key, R)> = Vec::new();
    for part in 0..parts {
        let range = Range {
            from: from.cloned(),
            ascending,
            limit: i64::from(request.size) + 1,
        };
        rows.extend(query(part, range).await?.into_iter().map(|r| (r.key(), r)));
    }
    rows.sort_by(|(a, _), (b, _)| {
        let by_key = (&a.sort, &a.id).cmp(&(&b.sort, &b.id));
        if ascending { by_key } else { by_key.reverse() }
    });
    let more = rows.len() > size;
    rows.truncate(size);
    if backwards {
        rows.reverse();
    }
    let first = rows.first().map(|(k, _)| k.clone());
    let last = rows.last().map(|(k, _)| k.clone());
    let (previous, next) = match &request.cursor {
        Cursor::First => (None, if more { last } else { None }),
        Cursor::After(_) => (first, if more { last } else { None }),
        Cursor::Before(_) => (if more { first } else { None }, last),
    };
    Ok(Slice {
        items: rows.into_iter().map(|(_, r)| r).collect(),
        previous,
        next,
    })
}

/// One line of the plan an engine makes for a statement: SQLite's `EXPLAIN QUERY PLAN`
/// detail, or a line of PostgreSQL's `EXPLAIN`.
#[derive(Debug)]
pub struct PlanLine(pub String);

impl<'r> FromRow<'r, AnyRow> for PlanLine {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        row.try_get::<String, _>("detail")
            .or_else(|_| row.try_get::<String, _>("QUERY PLAN"))
            .map(PlanLine)
    }
}

/// What goes before a statement to ask the engine for its plan.
pub fn explain(db: &crate::db::Db) -> &'static str {
    match db.engine() {
        crate::db::Engine::Sqlite => "EXPLAIN QUERY PLAN ",
        crate::db::Engine::Postgres => "EXPLAIN ",
    }
}

/// The plan of a statement built with [`explain`] in front, as the engine would run it on a
/// large table: PostgreSQL is told to avoid sequential scans and sorts where it can (a
/// small test table is cheaper to read whole), so a sort or a full scan still in the plan is
/// one no index can spare. Nothing is read or written.
pub async fn plan(
    db: &crate::db::Db,
    q: sqlx::query::QueryAs<'_, sqlx::Any, PlanLine, sqlx::any::AnyArguments>,
) -> Result<Vec<String>, sqlx::Error> {
    let mut tx = db.pool().begin().await?;
    if db.engine() == crate::db::Engine::Postgres {
        sqlx::query("SET LOCAL enable_seqscan = off")
            .execute(&mut *tx)
            .await?;
        sqlx::query("SET LOCAL enable_sort = off")
            .execute(&mut *tx)
            .await?;
    }
    let lines = q.fetch_all(&mut *tx).await?;
    tx.rollback().await?;
    Ok(lines.into_iter().map(|l| l.0).collect())
}

/// The plan of the statement a keyset page reads after `from` (the first page without), for
/// a list in `order` with pages of `size`. `sql` is the builder the page runs with an empty
/// prefix (so the plan is the statement run): it writes the statement behind `prefix` with
/// `$1` the list's `scope` (a chamber) and the range's parameters from `$2` ([`Range::sql`]),
/// bound here as the page binds them: `scope`, then [`Range::bind`].
pub async fn range_plan(
    db: &crate::db::Db,
    sql: fn(&str, &Range) -> String,
    scope: &str,
    order: Order,
    size: u32,
    from: Option<&Key>,
) -> Result<Vec<String>, sqlx::Error> {
    let range = Range::page(from, order, size);
    let statement = sql(explain(db), &range);
    plan(
        db,
        range.bind(sqlx::query_as(sqlx::AssertSqlSafe(statement)).bind(scope)),
    )
    .await
}

/// Whether a plan reads `table` through `index` and reads no table whole and sorts nothing:
/// on SQLite `index` is searched, no line is a `SCAN` and none uses a temporary B-tree; on
/// PostgreSQL `index` is scanned, no `Seq Scan` and no `Sort`. The problem found, in words, otherwise.
pub fn reads_by_index(plan: &[String], table: &str, index: &str) -> Result<(), String> {
    let text = plan.join("\n");
    let uses_index = plan.iter().any(|l| {
        l.contains(&format!("USING INDEX {index}"))
            || l.contains(&format!("USING COVERING INDEX {index}"))
            || (l.contains("Index") && l.contains(&format!(" using {index} on {table}")))
    });
    if !uses_index {
        return Err(format!("{index} is not used:\n{text}"));
    }
    for l in plan {
        let l = l.trim();
        let sqlite_scan = l.starts_with("SCAN ") && !l.starts_with("SCAN CONSTANT ROW");
        if sqlite_scan
            || l.contains("TEMP B-TREE")
            || l.contains("Seq Scan")
            || l.starts_with("Sort")
            || l.contains("-> Sort")
        {
            return Err(format!("full scan or sort: {l}\n{text}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_number_from_a_url_is_never_below_one() {
        for raw in [
            None,
            Some(""),
            Some("0"),
            Some("-1"),
            Some("due"),
            Some("2.5"),
        ] {
            assert_eq!(PageRequest::parse(raw, 50).number, 1, "{raw:?}");
        }
        assert_eq!(PageRequest::parse(Some(" 3 "), 50).number, 3);
        assert_eq!(
            PageRequest::parse(Some("99999999999999999999999"), 50).number,
            u64::MAX
        );
    }

    #[test]
    fn an_absurd_page_number_does_not_overflow_the_offset() {
        let r = PageRequest::new(u64::MAX, MAX_SIZE);
        assert_eq!(r.offset(), i64::MAX);
        assert_eq!(PageRequest::new(3, 0).size, 1);
        assert_eq!(PageRequest::new(1, 10_000).size, MAX_SIZE);
    }

    #[test]
    fn pages_are_counted_up() {
        let page = Page::<()> {
            items: vec![],
            total: 640,
            number: 2,
            size: 100,
        };
        assert_eq!(page.pages(), 7);
        let empty = Page::<()> {
            items: vec![],
            total: 0,
            number: 1,
            size: 100,
        };
        assert_eq!(empty.pages(), 1);
        assert!(empty.is_last());
    }

    #[test]
    fn a_page_cut_from_a_full_list_past_its_end_is_the_last_page() {
        let page = Page::of_all((1..=25).collect::<Vec<_>>(), PageRequest::new(9, 10));
        assert_eq!(page.number, 3);
        assert_eq!(page.items, vec![21, 22, 23, 24, 25]);
        assert_eq!(page.total, 25);
        let second = Page::of_all((1..=25).collect::<Vec<_>>(), PageRequest::new(2, 10));
        assert_eq!(second.items.first(), Some(&11));
    }

    struct Row(i64);
    impl Keyed for Row {
        fn key(&self) -> Key {
            Key::new(format!("{:04}", self.0), format!("id{:04}", self.0))
        }
    }

    /// Two "index ranges": even and odd numbers 1..=25, read as SQL would.
    async fn read(part: usize, range: Range) -> Result<Vec<Row>, sqlx::Error> {
        let from = range
            .from
            .as_ref()
            .map(|k| k.sort.parse::<i64>().unwrap_or(0));
        let mut rows: Vec<i64> = (1..=25)
            .filter(|n| (*n as usize) % 2 == part)
            .filter(|n| match from {
                Some(f) if range.ascending => *n > f,
                Some(f) => *n < f,
                None => true,
            })
            .collect();
        if !range.ascending {
            rows.reverse();
        }
        rows.truncate(usize::try_from(range.limit).unwrap_or(0));
        Ok(rows.into_iter().map(Row).collect())
    }

    fn numbers(s: &Slice<Row>) -> Vec<i64> {
        s.items.iter().map(|r| r.0).collect()
    }

    #[tokio::test]
    async fn a_keyset_list_pages_forwards_and_back_through_merged_ranges() {
        let first = keyset(&Keyset::first(10), Order::Descending, 2, read)
            .await
            .expect("first");
        assert_eq!(numbers(&first), (16..=25).rev().collect::<Vec<_>>());
        assert!(first.previous.is_none());
        let next = first.next.clone().expect("a next page");
        let second = keyset(
            &Keyset {
                cursor: Cursor::After(next),
                size: 10,
            },
            Order::Descending,
            2,
            read,
        )
        .await
        .expect("second");
        assert_eq!(numbers(&second), (6..=15).rev().collect::<Vec<_>>());
        let third = keyset(
            &Keyset {
                cursor: Cursor::After(second.next.clone().expect("third")),
                size: 10,
            },
            Order::Descending,
            2,
            read,
        )
        .await
        .expect("third");
        assert_eq!(numbers(&third), vec![5, 4, 3, 2, 1]);
        assert!(third.next.is_none());
        let back = keyset(
            &Keyset {
                cursor: Cursor::Before(third.previous.clone().expect("previous")),
                size: 10,
            },
            Order::Descending,
            2,
            read,
        )
        .await
        .expect("back");
        assert_eq!(numbers(&back), numbers(&second));
        assert!(back.previous.is_some() && back.next.is_some());
        let to_start = keyset(
            &Keyset {
                cursor: Cursor::Before(back.previous.clone().expect("to start")),
                size: 10,
            },
            Order::Descending,
            2,
            read,
        )
        .await
        .expect("to start");
        assert_eq!(numbers(&to_start), numbers(&first));
        assert!(to_start.previous.is_none());
    }

    #[test]
    fn a_cursor_from_a_url_is_a_key_or_the_first_page() {
        let key = Key::new("2026-12-07T05:00:00.000000Z", "0192-abc");
        let token = key.token();
        assert_eq!(Key::from_token(&token), Some(key.clone()));
        assert_eq!(
            Keyset::parse(Some(&token), None, 20).cursor,
            Cursor::After(key.clone())
        );
        assert_eq!(
            Keyset::parse(None, Some(&token), 20).cursor,
            Cursor::Before(key)
        );
        for bad in ["", "not base64!", "bm8gbmV3bGluZQ"] {
            assert_eq!(
                Keyset::parse(Some(bad), None, 20).cursor,
                Cursor::First,
                "{bad}"
            );
        }
    }
}
