//! Italian first, English second: Fluent message files under `locales/`, looked up by key.

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, static_loader};
use std::borrow::Cow;
use std::collections::HashMap;

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "it",
        // No Unicode isolation marks around arguments: they break copy-paste of numbers.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub enum Lang {
    #[default]
    It,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::It => "it",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "it" => Some(Lang::It),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The preferred language of an `Accept-Language` header: English when it comes
    /// before Italian, Italian otherwise.
    pub fn from_accept_language(header: &str) -> Lang {
        for part in header.split(',') {
            let tag = part
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("it") {
                return Lang::It;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::It
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::It => Lang::En,
            Lang::En => Lang::It,
        }
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::It => fluent_templates::langid!("it"),
            Lang::En => fluent_templates::langid!("en"),
        }
    }

    /// The message for `key`; the key itself when it is missing (a test checks none is).
    pub fn t(self, key: &str) -> String {
        LOCALES
            .try_lookup(&self.id(), key)
            .unwrap_or_else(|| key.to_string())
    }

    /// The message for `key` with named arguments.
    pub fn t_args(self, key: &str, args: &[(&str, String)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(k, v)| (Cow::Owned(k.to_string()), FluentValue::from(v.clone())))
            .collect();
        LOCALES
            .try_lookup_with_args(&self.id(), key, &map)
            .unwrap_or_else(|| key.to_string())
    }

    /// The message for `key` with `$count` as a number, so the message can choose the
    /// singular or the plural (`[one] 1 dispositivo *[other] { $count } dispositivi`).
    pub fn t_count(self, key: &str, count: u64) -> String {
        let mut map: HashMap<Cow<'static, str>, FluentValue> = HashMap::new();
        map.insert(Cow::Borrowed("count"), FluentValue::from(count));
        LOCALES
            .try_lookup_with_args(&self.id(), key, &map)
            .unwrap_or_else(|| key.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(ftl: &str) -> BTreeSet<String> {
        ftl.lines()
            .filter(|l| !l.starts_with(' ') && !l.starts_with('#') && l.contains(" ="))
            .filter_map(|l| l.split(" =").next())
            .map(|k| k.trim().to_string())
            .collect()
    }

    /// Every message key of a language, from all its `.ftl` files (one file per area).
    fn keys_of(lang: &str) -> BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang);
        let mut all = BTreeSet::new();
        for entry in std::fs::read_dir(dir).expect("locales folder").flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let found = keys(&text);
            for k in &found {
                assert!(!all.contains(k), "{k} defined twice in {lang}");
            }
            all.extend(found);
        }
        all
    }

    #[test]
    fn italian_and_english_have_the_same_messages() {
        let it = keys_of("it");
        let en = keys_of("en");
        let only_it: Vec<_> = it.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&it).collect();
        assert!(
            only_it.is_empty() && only_en.is_empty(),
            "only it: {only_it:?}; only en: {only_en:?}"
        );
    }

    #[test]
    fn every_key_used_in_code_and_templates_exists() {
        let it = keys_of("it");
        // The messages serve the whole workspace: the core's code, and the shell's code
        // and templates.
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut missing = BTreeSet::new();
        let mut files = Vec::new();
        for dir in ["sportello-core/src", "sportello/src", "sportello/templates"] {
            collect(&crates.join(dir), &mut files);
        }
        let re = ["t(\"", "t_args(\"", "msg(\"", "key: \""];
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            for pat in re {
                for (i, _) in text.match_indices(pat) {
                    let before = text[..i].chars().next_back().unwrap_or(' ');
                    if before.is_alphanumeric() || before == '_' {
                        continue;
                    }
                    let rest = &text[i + pat.len()..];
                    let key: String = rest.chars().take_while(|c| *c != '"').collect();
                    if key
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit())
                        && !key.is_empty()
                        && !it.contains(&key)
                    {
                        missing.insert(format!("{key} ({})", file.display()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "missing messages: {missing:#?}");
    }

    fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    collect(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs" || x == "html") {
                    out.push(p);
                }
            }
        }
    }

    #[test]
    fn accept_language_picks_the_first_known_language() {
        assert_eq!(
            Lang::from_accept_language("en-GB,en;q=0.9,it;q=0.8"),
            Lang::En
        );
        assert_eq!(
            Lang::from_accept_language("it-IT,it;q=0.9,en;q=0.8"),
            Lang::It
        );
        assert_eq!(Lang::from_accept_language("de-DE"), Lang::It);
    }
}
