//! Reading an import file: encoding, separator, header and every field of every row.

use std::collections::{BTreeSet, HashMap};

use penkom_core::{Email, EmploymentType, Nip, OpdCode, OpdName, PersonName, Role};

use super::{PersonRow, RowError};

const REQUIRED: [&str; 6] = ["nip", "name", "email", "employment_type", "opd_code", "opd_name"];
const OPTIONAL: [&str; 3] = ["roles", "rank", "position"];
/// Rank and position are printed on certificates; longer values are pasting accidents.
const MAX_FREE_TEXT: usize = 200;

fn err(line: u64, column: Option<&str>, reason: impl Into<String>) -> RowError {
    RowError { line, column: column.map(str::to_string), reason: reason.into() }
}

/// Spreadsheets in Indonesia export `;` (the decimal separator is a comma), others export `,`.
/// The header decides: whichever separator it contains more of.
fn detect_separator(header_line: &str) -> u8 {
    if header_line.matches(';').count() > header_line.matches(',').count() { b';' } else { b',' }
}

/// Parses a whole import file. Either every row is valid, or the answer is every problem found.
pub fn parse_people_csv(bytes: &[u8]) -> Result<Vec<PersonRow>, Vec<RowError>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() as u64;
            return Err(vec![err(
                line,
                None,
                "berkas harus berenkode UTF-8 (simpan ulang sebagai \"CSV UTF-8\")",
            )]);
        }
    };
    let Some(first_line) = text.lines().next().filter(|l| !l.trim().is_empty()) else {
        return Err(vec![err(1, None, "berkas kosong: baris pertama harus berisi nama kolom")]);
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(detect_separator(first_line))
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());

    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![err(1, None, format!("baris judul tidak dapat dibaca: {e}"))]),
    };
    let mut columns: HashMap<String, usize> = HashMap::new();
    let mut errors = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let name = h.trim().to_lowercase();
        if !REQUIRED.contains(&name.as_str()) && !OPTIONAL.contains(&name.as_str()) {
            errors.push(err(1, Some(h), format!("kolom tidak dikenal \"{h}\"")));
        } else if columns.insert(name.clone(), i).is_some() {
            errors.push(err(1, Some(h), format!("kolom \"{h}\" muncul lebih dari sekali")));
        }
    }
    for r in REQUIRED {
        if !columns.contains_key(r) {
            errors.push(err(1, Some(r), format!("kolom wajib \"{r}\" tidak ada")));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut rows = Vec::new();
    let mut seen_nip: HashMap<String, u64> = HashMap::new();
    let mut seen_email: HashMap<String, u64> = HashMap::new();
    let mut opd_names: HashMap<String, (String, u64)> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(err(line, None, format!("baris tidak dapat dibaca: {e}")));
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(|f| f.is_empty()) {
            continue; // Blank lines at the end of a spreadsheet export are harmless.
        }
        if record.len() != headers.len() {
            errors.push(err(
                line,
                None,
                format!("jumlah kolom {} tidak sama dengan baris judul ({})", record.len(), headers.len()),
            ));
            continue;
        }
        let field = |name: &str| columns.get(name).and_then(|&i| record.get(i)).unwrap_or("");
        let present = |name: &str| columns.contains_key(name);
        let before = errors.len();
        let mut check = |name: &str, r: Result<(), String>| {
            if let Err(reason) = r {
                errors.push(err(line, Some(name), reason));
            }
        };

        let nip = Nip::parse(field("nip")).map_err(|e| e.to_string());
        check("nip", nip.as_ref().map(|_| ()).map_err(Clone::clone));
        let name = PersonName::parse(field("name")).map_err(|e| e.to_string());
        check("name", name.as_ref().map(|_| ()).map_err(Clone::clone));
        let email = Email::parse(field("email")).map_err(|e| e.to_string());
        check("email", email.as_ref().map(|_| ()).map_err(Clone::clone));
        let employment = field("employment_type").parse::<EmploymentType>().map_err(|e| e.to_string());
        check("employment_type", employment.as_ref().map(|_| ()).map_err(Clone::clone));
        let opd_code = OpdCode::parse(field("opd_code")).map_err(|e| e.to_string());
        check("opd_code", opd_code.as_ref().map(|_| ()).map_err(Clone::clone));
        let opd_name = OpdName::parse(field("opd_name")).map_err(|e| format!("nama OPD: {e}"));
        check("opd_name", opd_name.as_ref().map(|_| ()).map_err(Clone::clone));
        let roles = parse_roles(field("roles"));
        check("roles", roles.as_ref().map(|_| ()).map_err(Clone::clone));
        let rank = free_text(field("rank")).map(|v| present("rank").then_some(v));
        check("rank", rank.as_ref().map(|_| ()).map_err(Clone::clone));
        let position = free_text(field("position")).map(|v| present("position").then_some(v));
        check("position", position.as_ref().map(|_| ()).map_err(Clone::clone));

        if let Ok(n) = &nip
            && let Some(prev) = seen_nip.insert(n.to_string(), line)
        {
            check("nip", Err(format!("NIP {n} sudah muncul di baris {prev}")));
        }
        if let Ok(e) = &email
            && let Some(prev) = seen_email.insert(e.to_string(), line)
        {
            check("email", Err(format!("e-mail {e} sudah muncul di baris {prev}")));
        }
        if let (Ok(code), Ok(oname)) = (&opd_code, &opd_name) {
            match opd_names.get(code.as_str()) {
                Some((known, prev)) if known != oname.as_str() => check(
                    "opd_name",
                    Err(format!(
                        "OPD {code} bernama \"{known}\" di baris {prev}, tetapi \"{oname}\" di sini"
                    )),
                ),
                Some(_) => {}
                None => {
                    opd_names.insert(code.to_string(), (oname.to_string(), line));
                }
            }
        }

        if errors.len() == before {
            // Every field parsed (the checks above recorded nothing), so all are Ok here.
            if let (
                Ok(nip),
                Ok(name),
                Ok(email),
                Ok(employment_type),
                Ok(opd_code),
                Ok(opd_name),
                Ok(roles),
                Ok(rank),
                Ok(position),
            ) = (nip, name, email, employment, opd_code, opd_name, roles, rank, position)
            {
                rows.push(PersonRow {
                    line,
                    nip,
                    name,
                    email,
                    employment_type,
                    opd_code,
                    opd_name,
                    roles,
                    rank,
                    position,
                });
            }
        }
    }
    if errors.is_empty() { Ok(rows) } else { Err(errors) }
}

/// `learner|instructor`; empty (or no column) means "not given".
fn parse_roles(s: &str) -> Result<Option<BTreeSet<Role>>, String> {
    let parts: Vec<&str> = s.split('|').map(str::trim).filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        return Ok(None);
    }
    parts
        .into_iter()
        .map(|p| p.parse::<Role>().map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()
        .map(Some)
}

fn free_text(s: &str) -> Result<Option<String>, String> {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        Ok(None)
    } else if !penkom_core::text::is_single_line(&s) {
        Err("mengandung karakter kontrol".into())
    } else if s.chars().count() > MAX_FREE_TEXT {
        Err(format!("paling banyak {MAX_FREE_TEXT} karakter"))
    } else {
        Ok(Some(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "nip;name;email;employment_type;opd_code;opd_name;roles;rank;position\n\
        198503122010011001;Budi Santoso, S.Kom.;budi@kota.go.id;PNS;DISKOMINFO;Dinas Komunikasi dan Informatika;learner|instructor;Penata (III/c);Pranata Komputer\n\
        199001012022012001;Sari Dewi;sari@kota.go.id;pppk;dinkes;Dinas Kesehatan;;;\n";

    #[test]
    fn reads_semicolon_files_with_defaults() {
        let rows = parse_people_csv(GOOD.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].roles, Some(BTreeSet::from([Role::Learner, Role::Instructor])));
        assert_eq!(rows[0].rank, Some(Some("Penata (III/c)".to_string())));
        assert_eq!(rows[1].employment_type, EmploymentType::Pppk);
        assert_eq!(rows[1].opd_code.as_str(), "DINKES");
        assert_eq!(rows[1].roles, None, "an empty cell gives no roles");
        assert_eq!(rows[1].rank, Some(None), "an empty cell clears the rank");
    }

    #[test]
    fn reads_comma_files_with_bom_and_quotes() {
        let text = "\u{feff}nip,name,email,employment_type,opd_code,opd_name\n\
            198503122010011001,\"Dr. Budi, M.Si.\",budi@kota.go.id,PNS,BKPSDM,BKPSDM\n";
        let rows = parse_people_csv(text.as_bytes()).unwrap();
        assert_eq!(rows[0].name.as_str(), "Dr. Budi, M.Si.");
        assert_eq!(
            (rows[0].roles.clone(), rows[0].rank.clone()),
            (None, None),
            "absent columns are not given"
        );
    }

    #[test]
    fn reports_every_bad_row_with_its_line() {
        let text = "nip,name,email,employment_type,opd_code,opd_name,roles\n\
            198503122010011001,Budi,budi@kota.go.id,PNS,BKPSDM,BKPSDM,learner\n\
            198502302010011001,Ani,ani@kota.go.id,PNS,BKPSDM,BKPSDM,learner\n\
            198503122010011001,Citra,citra@kota,honorer,BKPSDM,Badan Lain,boss\n\
            1,2,3\n";
        let errors = parse_people_csv(text.as_bytes()).unwrap_err();
        let at =
            |line: u64, col: &str| errors.iter().any(|e| e.line == line && e.column.as_deref() == Some(col));
        assert!(at(3, "nip"), "impossible birth date: {errors:?}");
        assert!(at(4, "nip"), "duplicate NIP");
        assert!(at(4, "email"));
        assert!(at(4, "employment_type"));
        assert!(at(4, "opd_name"), "same OPD code, different name");
        assert!(at(4, "roles"));
        assert!(errors.iter().any(|e| e.line == 5 && e.column.is_none()), "short row");
        assert!(!errors.iter().any(|e| e.line == 2), "the good row has no error");
    }

    #[test]
    fn header_problems_are_line_one() {
        let errors = parse_people_csv(b"nip,nama,email\n").unwrap_err();
        assert!(errors.iter().all(|e| e.line == 1));
        assert!(errors.iter().any(|e| e.reason.contains("nama")));
        assert!(errors.iter().any(|e| e.column.as_deref() == Some("employment_type")));
        assert_eq!(parse_people_csv(b"").unwrap_err()[0].line, 1);
        assert!(parse_people_csv(b"nip,name\xff\n").is_err());
    }
}
