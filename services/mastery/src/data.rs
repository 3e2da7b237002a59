//! Reader (through `csv`) and writer of the reference response format (the only I/O in
//! this crate).
//!
//! Columns (any order, by header name): `user_id, skill_name, correct, order_id,
//! item_id, timestamp, epoch_s, session, response_id, split`; the reader needs all but
//! `order_id`, `timestamp` and `session`. Rows are in time order per learner. A response on a multi-competency item is several consecutive rows
//! sharing `response_id`; [`Dataset::responses`] groups them so each response is
//! scored once.

use crate::{Error, Result};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

/// Which side of the learner-level split a row is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train,
    Test,
}

/// One row: one (response, competency) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub user: u32,
    /// Index into [`Dataset::skills`].
    pub skill: u32,
    /// Index into [`Dataset::items`].
    pub item: u32,
    pub correct: bool,
    pub epoch_s: i64,
    pub response_id: u64,
    pub split: Split,
}

/// One response: consecutive rows sharing a learner and `response_id`.
#[derive(Debug, Clone)]
pub struct Response {
    pub user: u32,
    pub item: u32,
    pub correct: bool,
    pub epoch_s: i64,
    pub split: Split,
    /// Competency indices, in row order.
    pub skills: Vec<u32>,
}

/// A whole response log with interned competency and item names.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub skills: Vec<String>,
    pub items: Vec<String>,
    pub rows: Vec<Row>,
}

impl Dataset {
    /// Reads a CSV file, gunzipping it when the name ends in `.gz`.
    pub fn open(path: &Path) -> Result<Self> {
        let io = |source| Error::Io {
            path: path.display().to_string(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
            Box::new(flate2::read::MultiGzDecoder::new(file))
        } else {
            Box::new(file)
        };
        Self::read(BufReader::with_capacity(1 << 20, reader)).map_err(|e| match e {
            Error::Io { source, .. } => io(source),
            other => other,
        })
    }

    /// Parses CSV text in the reference format.
    pub fn read(reader: impl BufRead) -> Result<Self> {
        let mut csv = csv::Reader::from_reader(reader);
        let header = csv.headers().map_err(csv_error)?.clone();
        let mut ds = Self::default();
        let mut skill_ix: HashMap<String, u32> = HashMap::new();
        let mut item_ix: HashMap<String, u32> = HashMap::new();
        let mut record = csv::StringRecord::new();
        while csv.read_record(&mut record).map_err(csv_error)? {
            let line = record.position().map_or(0, |p| p.line() as usize);
            let row: CsvRow<'_> = record.deserialize(Some(&header)).map_err(csv_error)?;
            let correct = match row.correct {
                1 => true,
                0 => false,
                other => {
                    return Err(Error::Csv {
                        line,
                        message: format!("correct must be 0 or 1, found {other}"),
                    })
                }
            };
            ds.rows.push(Row {
                user: row.user_id,
                skill: intern(&mut skill_ix, &mut ds.skills, row.skill_name),
                item: intern(&mut item_ix, &mut ds.items, row.item_id),
                correct,
                epoch_s: row.epoch_s,
                response_id: row.response_id,
                split: row.split,
            });
        }
        Ok(ds)
    }

    /// Writes the rows as CSV with the columns the reader needs, plus `order_id` (a copy
    /// of `response_id`: pyBKT orders rows by it).
    pub fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(
            out,
            "user_id,skill_name,correct,order_id,item_id,epoch_s,response_id,split"
        )?;
        for r in &self.rows {
            let split = match r.split {
                Split::Train => "train",
                Split::Test => "test",
            };
            writeln!(
                out,
                "{},{},{},{},{},{},{},{split}",
                r.user,
                self.skills[r.skill as usize],
                u8::from(r.correct),
                r.response_id,
                self.items[r.item as usize],
                r.epoch_s,
                r.response_id,
            )?;
        }
        Ok(())
    }

    /// Index of a competency by name.
    pub fn skill_index(&self, name: &str) -> Option<u32> {
        self.skills.iter().position(|s| s == name).map(|i| i as u32)
    }

    /// The rows grouped into responses, in file order.
    pub fn responses(&self) -> Vec<Response> {
        let mut out: Vec<Response> = Vec::new();
        let mut last: Option<(u32, u64)> = None;
        for r in &self.rows {
            if last == Some((r.user, r.response_id)) {
                if let Some(resp) = out.last_mut() {
                    resp.skills.push(r.skill);
                }
                continue;
            }
            last = Some((r.user, r.response_id));
            out.push(Response {
                user: r.user,
                item: r.item,
                correct: r.correct,
                epoch_s: r.epoch_s,
                split: r.split,
                skills: vec![r.skill],
            });
        }
        out
    }
}

/// The columns of one CSV row the reader needs (others are ignored).
#[derive(serde::Deserialize)]
struct CsvRow<'a> {
    user_id: u32,
    skill_name: &'a str,
    correct: u8,
    item_id: &'a str,
    epoch_s: i64,
    response_id: u64,
    split: Split,
}

/// A reading error: I/O as [`Error::Io`] (the caller names the file), anything else
/// (a missing column, a value of the wrong type, bad UTF-8) with its line.
fn csv_error(error: csv::Error) -> Error {
    let line = error.position().map_or(0, |p| p.line() as usize);
    let message = error.to_string();
    match error.into_kind() {
        csv::ErrorKind::Io(source) => Error::Io {
            path: String::new(),
            source,
        },
        _ => Error::Csv { line, message },
    }
}

fn intern(ix: &mut HashMap<String, u32>, names: &mut Vec<String>, name: &str) -> u32 {
    if let Some(&i) = ix.get(name) {
        return i;
    }
    let i = names.len() as u32;
    names.push(name.to_owned());
    ix.insert(name.to_owned(), i);
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str =
        "user_id,skill_name,correct,order_id,item_id,timestamp,epoch_s,session,response_id,split
0,a,1,0,i1,t,100,0,0,train
0,a,0,1,i2,t,160,0,1,train
0,b,0,1,i2,t,160,0,1,train
1,b,1,2,i3,t,50,0,2,test
";

    #[test]
    fn rows_sharing_a_response_id_become_one_response_with_two_skills() {
        let ds = Dataset::read(CSV.as_bytes()).unwrap();
        assert_eq!(ds.rows.len(), 4);
        assert_eq!(ds.skills, vec!["a", "b"]);
        let r = ds.responses();
        assert_eq!(r.len(), 3);
        assert_eq!(r[1].skills, vec![0, 1]);
        assert_eq!(r[2].split, Split::Test);
    }

    #[test]
    fn written_rows_read_back_the_same() {
        let ds = Dataset::read(CSV.as_bytes()).unwrap();
        let mut text = Vec::new();
        ds.write(&mut text).unwrap();
        let again = Dataset::read(text.as_slice()).unwrap();
        assert_eq!((&again.skills, &again.items), (&ds.skills, &ds.items));
        assert_eq!(again.rows, ds.rows);
    }

    #[test]
    fn a_correct_value_other_than_zero_or_one_is_rejected_with_its_line() {
        let bad = CSV.replace("0,a,1,0", "0,a,yes,0");
        let err = Dataset::read(bad.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
    }
}
