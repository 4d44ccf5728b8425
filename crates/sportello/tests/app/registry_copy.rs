//! The registry import on PostgreSQL (rows sent with `COPY`, then set-based upserts) stores
//! exactly what the SQLite import stores, hostile values included, and counts alike.

use crate::helpers::{TestDb, start_time};
use crate::registry_support::{HEADER, counts, import, stored};
use chrono::Duration;
use sportello_core::db::{Db, Engine};
use sportello_core::registry::{self, TaxCode};

/// Values that `COPY` text would misread unless escaped: a tab and a newline inside quoted
/// fields, backslashes, a lone `\N` (NULL) and `\.` (end of data), quotes, a carriage return,
/// non-ASCII letters and an emoji. Ligure's rows are far apart and disagree on its name.
const HOSTILE: &str = "\
01879020517;;\"LIGURE\tEXPORT \"\"S.R.L.\"\"\";GE;123456;SEDE;\"Via XX Settembre 12\nscala B\";16121;Genova;ATTIVA;2024 2025;RSSMRA80A01H501U;2001-03-15
RSSMRA80A01H501U;12345670017;\\N;GE;456789;SEDE;C:\\dati\\nuovi \\t;16126;FORLÌ;ATTIVA;2025;;
00743110157;IT00743110157;\\.;SP;98765;SEDE;\"Viale \\\\ San Bartolomeo\r\n300\";19126;La Spezia;CESSATA;;BNCGLI85M41D969D RSSMRA80A01H501U;
BAAAAA08E28F205M;;Società \"Àncora\" l'ultima 🚢;PG;1;SEDE;VIA EUROPA 8;06121;PERUGIA;ATTIVA;2019 2020;;15/03/2020
01879020517;01879020517;LIGURE\tEXPORT \"S.R.L.\";GE;123456;UL;\\N;16043;Chiavari;ATTIVA;2025 2024;;2001-03-15
BAAAAA08E28F205M;;Società \"Àncora\" l'ultima 🚢;PG;1;UL;\"NULL\";06121;\\;ATTIVA;2019 2020;;15/03/2020
";

/// The same companies again: a site and names changed, fees and representatives replaced, a
/// company's rows disagreeing within the file (its last row wins, each row counts as a change).
const CHANGED: &str = "\
01879020517;;\"LIGURE\tEXPORT \"\"S.R.L.\"\"\";GE;123456;SEDE;\"Via XX Settembre 12\nscala B\";16122;Genova;ATTIVA;2024 2025 2026;;2001-03-15
RSSMRA80A01H501U;12345670017;\\N\\N;GE;456789;SEDE;C:\\dati\\nuovi \\t;16126;FORLÌ;ATTIVA;2025;;
00743110157;IT00743110157;\\.;SP;98765;SEDE;\"Viale \\\\ San Bartolomeo\r\n300\";19126;La Spezia;CESSATA;;RSSMRA80A01H501U;
BAAAAA08E28F205M;;Società \"Àncora\" l'ultima 🚢;PG;1;SEDE;VIA EUROPA 8;06121;PERUGIA;ATTIVA;2019 2020;;15/03/2020
01879020517;;LIGURE EXPORT;GE;123456;UL;\\N;16043;Chiavari;ATTIVA;2024 2025 2026;;2001-03-15
BAAAAA08E28F205M;;Società \"Àncora\" l'ultima 🚢;PG;1;UL;\"NULL\";06121;\\;ATTIVA;2019 2020;;15/03/2020
01879020517;;\"LIGURE\tEXPORT \"\"S.R.L.\"\"\";GE;123456;SEDE;\"Via XX Settembre 12\nscala B\";16122;Genova;ATTIVA;2024 2025 2026;;2001-03-15
";

async fn name_of(db: &Db, tax_code: &str) -> String {
    let code = TaxCode::parse(tax_code).expect("a valid tax code");
    registry::find_company_by_tax_code(db, &code)
        .await
        .expect("query")
        .expect("imported")
        .name
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(sportello_test_postgres),
    ignore = "SPORTELLO_TEST_POSTGRES is not set"
)]
async fn copy_stores_hostile_values_exactly_as_the_sqlite_import_does() {
    let sqlite = TestDb::new(Engine::Sqlite).await;
    let postgres = TestDb::new(Engine::Postgres).await;
    let hostile = sqlite.dir.path().join("hostile.csv");
    std::fs::write(&hostile, format!("{HEADER}\n{HOSTILE}")).expect("write");
    let changed = sqlite.dir.path().join("changed.csv");
    std::fs::write(&changed, format!("{HEADER}\n{CHANGED}")).expect("write");

    // One batch, then batches of two rows (a company's rows in different transactions).
    for batch_size in [1000, 2] {
        let first = start_time();
        let later = first + Duration::hours(1);
        let (s, p) = (
            import(&sqlite.db, first, &hostile, batch_size).await,
            import(&postgres.db, first, &hostile, batch_size).await,
        );
        assert_eq!(
            counts(&p),
            counts(&s),
            "first import, batch of {batch_size}"
        );
        assert_eq!(stored(&postgres.db).await, stored(&sqlite.db).await);

        let (s, p) = (
            import(&sqlite.db, later, &hostile, batch_size).await,
            import(&postgres.db, later, &hostile, batch_size).await,
        );
        assert_eq!(counts(&p), counts(&s), "repeat, batch of {batch_size}");
        // Ligure's two rows disagree (VAT number, representatives): both count as changes.
        assert_eq!(s.unchanged, 4);

        let (s, p) = (
            import(&sqlite.db, later, &changed, batch_size).await,
            import(&postgres.db, later, &changed, batch_size).await,
        );
        assert_eq!(counts(&p), counts(&s), "changes, batch of {batch_size}");
        assert_eq!(stored(&postgres.db).await, stored(&sqlite.db).await);

        // Back to the first file for the next round.
        let (s, p) = (
            import(&sqlite.db, later, &hostile, batch_size).await,
            import(&postgres.db, later, &hostile, batch_size).await,
        );
        assert_eq!(counts(&p), counts(&s), "back, batch of {batch_size}");
        assert_eq!(stored(&postgres.db).await, stored(&sqlite.db).await);
    }

    // And the values are the file's, byte for byte.
    for db in [&sqlite.db, &postgres.db] {
        assert_eq!(
            name_of(db, "01879020517").await,
            "LIGURE\tEXPORT \"S.R.L.\""
        );
        assert_eq!(name_of(db, "RSSMRA80A01H501U").await, "\\N");
        assert_eq!(name_of(db, "00743110157").await, "\\.");
        assert_eq!(
            name_of(db, "BAAAAA08E28F205M").await,
            "Società \"Àncora\" l'ultima 🚢"
        );
    }
    let addresses: Vec<String> = sqlx::query_scalar("SELECT address FROM sites")
        .fetch_all(postgres.db.pool())
        .await
        .expect("addresses");
    for expected in [
        "Via XX Settembre 12\nscala B",
        "C:\\dati\\nuovi \\t",
        "Viale \\\\ San Bartolomeo\r\n300",
        "\\N",
        "NULL",
    ] {
        assert!(
            addresses.iter().any(|a| a == expected),
            "{expected:?} not in {addresses:?}"
        );
    }
}
