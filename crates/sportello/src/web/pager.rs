//! The count and the page links under every paged list (`_list_count.html` above the table,
//! `_pager.html` below it): "640 dispositivi", "Pagina 2 di 7", and links that keep the
//! list's filters in the query string, so a link or a reload shows the same page.

use sportello_core::i18n::Lang;
use sportello_core::paging::{Keyset, Page, PageRequest, Slice};

/// How many page numbers to show either side of the current one.
const AROUND: u64 = 1;

/// The page a list's URL asks for (`?page=…`), as text so that a bad value is read as the
/// first page instead of refusing the request.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct PageParam {
    #[serde(default)]
    pub page: Option<String>,
}

impl PageParam {
    pub fn request(&self, size: u32) -> PageRequest {
        PageRequest::parse(self.page.as_deref(), size)
    }
}

/// The page of a keyset list a URL asks for (`?after=…` or `?before=…`, the tokens the
/// previous and next links carry), read leniently: anything else is the first page.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct CursorParam {
    #[serde(default)]
    pub after: Option<String>,
    #[serde(default)]
    pub before: Option<String>,
}

impl CursorParam {
    pub fn request(&self, size: u32) -> Keyset {
        Keyset::parse(self.after.as_deref(), self.before.as_deref(), size)
    }
}

/// One page number in the pagination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PagerItem {
    pub number: u64,
    pub href: String,
    pub current: bool,
    /// Pages were skipped before this one (an ellipsis is shown).
    pub gap_before: bool,
}

/// Everything the list partials print.
#[derive(Clone, Debug)]
pub struct Pager {
    /// "640 dispositivi".
    pub count: String,
    /// "Pagina 2 di 7".
    pub position: String,
    pub nav_label: String,
    pub previous_label: String,
    pub next_label: String,
    pub current_label: String,
    pub previous: Option<String>,
    pub next: Option<String>,
    pub items: Vec<PagerItem>,
    pub pages: u64,
}

impl Pager {
    /// The pager of `page`, a page of the list at `path` with `filters` (empty values left
    /// out); `count_key` is the message that names the items (`{ $count } dispositivi`).
    pub fn new<T>(
        lang: Lang,
        page: &Page<T>,
        count_key: &str,
        path: &str,
        filters: &[(&str, &str)],
    ) -> Pager {
        let pages = page.pages();
        let number = page.number.min(pages);
        let href = |n: u64| href(path, filters, n);
        let mut items = Vec::new();
        let mut last_shown = 0;
        for n in 1..=pages {
            let near = n + AROUND >= number && n <= number + AROUND;
            if n == 1 || n == pages || near {
                items.push(PagerItem {
                    number: n,
                    href: href(n),
                    current: n == number,
                    gap_before: n > last_shown + 1,
                });
                last_shown = n;
            }
        }
        Pager {
            count: lang.t_count(count_key, page.total),
            position: lang.t_args(
                "pager-position",
                &[("page", number.to_string()), ("pages", pages.to_string())],
            ),
            nav_label: lang.t("pager-nav"),
            previous_label: lang.t("pager-previous"),
            next_label: lang.t("pager-next"),
            current_label: lang.t("pager-current"),
            previous: (number > 1).then(|| href(number - 1)),
            next: (number < pages).then(|| href(number + 1)),
            items,
            pages,
        }
    }

    /// The pager of a list read by keyset (issue 14): no count and no page numbers, which
    /// would cost a read of the whole list, only the previous and next pages, each a link
    /// that keeps the filters and names the row it starts from.
    pub fn keyset<T>(lang: Lang, slice: &Slice<T>, path: &str, filters: &[(&str, &str)]) -> Pager {
        let link = |name: &str, token: String| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (filter, value) in filters {
                if !value.trim().is_empty() {
                    query.append_pair(filter, value);
                }
            }
            query.append_pair(name, &token);
            format!("{path}?{}", query.finish())
        };
        let previous = slice.previous.as_ref().map(|k| link("before", k.token()));
        let next = slice.next.as_ref().map(|k| link("after", k.token()));
        let pages = if previous.is_some() || next.is_some() {
            2
        } else {
            1
        };
        Pager {
            count: String::new(),
            position: String::new(),
            nav_label: lang.t("pager-nav"),
            previous_label: lang.t("pager-previous"),
            next_label: lang.t("pager-next"),
            current_label: lang.t("pager-current"),
            previous,
            next,
            items: Vec::new(),
            pages,
        }
    }

    /// The pager of one of several keyset lists on the same page: as [`Pager::keyset`], with
    /// the list's own parameters (`names`: the one after a row, the one before a row) so each
    /// list pages on its own; `filters` carry the other lists' cursors.
    pub fn keyset_named<T>(
        lang: Lang,
        slice: &Slice<T>,
        path: &str,
        filters: &[(&str, &str)],
        names: (&str, &str),
    ) -> Pager {
        let link = |name: &str, token: String| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (filter, value) in filters {
                if !value.trim().is_empty() {
                    query.append_pair(filter, value);
                }
            }
            query.append_pair(name, &token);
            format!("{path}?{}", query.finish())
        };
        let mut pager = Pager::keyset(lang, slice, path, filters);
        pager.previous = slice.previous.as_ref().map(|k| link(names.1, k.token()));
        pager.next = slice.next.as_ref().map(|k| link(names.0, k.token()));
        pager
    }

    /// Whether there is more than one page, so page links are worth showing.
    pub fn has_pages(&self) -> bool {
        self.pages > 1
    }
}

/// `path?filter=…&page=n`, each value encoded, empty filters left out.
pub fn href(path: &str, filters: &[(&str, &str)], page: u64) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in filters {
        if !value.trim().is_empty() {
            query.append_pair(name, value);
        }
    }
    query.append_pair("page", &page.to_string());
    format!("{path}?{}", query.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(total: u64, number: u64, size: u32) -> Page<()> {
        Page {
            items: vec![],
            total,
            number,
            size,
        }
    }

    #[test]
    fn the_pager_shows_the_first_the_last_and_the_pages_around_the_current_one() {
        let pager = Pager::new(
            Lang::It,
            &page(640, 4, 50),
            "count-devices",
            "/devices",
            &[],
        );
        let numbers: Vec<u64> = pager.items.iter().map(|i| i.number).collect();
        assert_eq!(numbers, vec![1, 3, 4, 5, 13]);
        assert!(pager.items[1].gap_before && pager.items[4].gap_before);
        assert!(pager.items[2].current);
        assert_eq!(pager.position, "Pagina 4 di 13");
        assert_eq!(pager.count, "640 dispositivi");
    }

    #[test]
    fn page_links_keep_the_filters_and_leave_out_empty_ones() {
        let link = href(
            "/devices",
            &[("state", "in_cabinet"), ("serial", ""), ("q", "a&b c")],
            2,
        );
        assert_eq!(link, "/devices?state=in_cabinet&q=a%26b+c&page=2");
    }

    #[test]
    fn one_item_is_named_in_the_singular() {
        let pager = Pager::new(Lang::It, &page(1, 1, 50), "count-devices", "/devices", &[]);
        assert_eq!(pager.count, "1 dispositivo");
        assert!(!pager.has_pages());
        assert!(pager.previous.is_none() && pager.next.is_none());
    }
}
