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
}
