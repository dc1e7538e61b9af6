//! Checks of what callers ask for, shared by every filter that takes the
//! same kind of input. Each failure is a `BAD_USER_INPUT` naming the field.

use crate::error::AppError;

/// A child's age: whole years within childhood, 0 to 18.
pub fn child_age(field: &str, age: Option<i32>) -> Result<(), AppError> {
    match age {
        Some(age) if !(0..=18).contains(&age) => Err(AppError::bad_input(format!(
            "{field} must be between 0 and 18, got {age}"
        ))),
        _ => Ok(()),
    }
}

/// An administrative area code: capital letters, digits and dashes, such as
/// `KG-GB` or `KG-GB-LEN`, at most 32 characters.
pub fn area_code(field: &str, code: &str) -> Result<(), AppError> {
    let well_formed = (2..=32).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
    if well_formed {
        Ok(())
    } else {
        Err(AppError::bad_input(format!(
            "{field}: {:?} is not an area code such as \"KG-GB\" or \"KG-GB-LEN\"",
            code.chars().take(40).collect::<String>()
        )))
    }
}

/// Language codes: ISO 639-1 (or 639-2), lower case, such as "ky", "ru", "uz".
pub fn language_codes(field: &str, codes: &[String]) -> Result<(), AppError> {
    for code in codes {
        if !(2..=3).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(AppError::bad_input(format!(
                "{field}: {code:?} is not a language code; use ISO 639-1 codes such as \"ky\", \"ru\", \"uz\""
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_codes_are_checked() {
        assert!(child_age("childAge", Some(18)).is_ok());
        assert!(child_age("childAge", None).is_ok());
        assert_eq!(
            child_age("childAge", Some(19)).expect_err("adult").code(),
            "BAD_USER_INPUT"
        );
        assert!(language_codes("languages", &["ky".into(), "uz".into()]).is_ok());
        assert!(language_codes("languages", &["Kyrgyz".into()]).is_err());
        assert!(area_code("areaCode", "KG-GB-LEN").is_ok());
        for bad in ["", "kg-gb", "KG GB", "KG\u{0}", &"K".repeat(33)] {
            assert!(area_code("areaCode", bad).is_err(), "{bad:?}");
        }
    }
}

/// The problems found in one input, collected so that every field at fault
/// is reported at once.
#[derive(Debug, Default)]
pub struct Problems(Vec<crate::error::FieldProblem>);

/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest free text (descriptions, eligibility, notes), in characters.
pub const MAX_TEXT_CHARS: usize = 4_000;
/// Longest short field (e-mail, web site, phone number), in characters.
pub const MAX_SHORT_CHARS: usize = 254;

/// Kyrgyzstan's bounding box, with a little room: latitudes and longitudes
/// outside it are typing mistakes (or another country).
const LATITUDES: std::ops::RangeInclusive<f64> = 39.1..=43.3;
const LONGITUDES: std::ops::RangeInclusive<f64> = 69.2..=80.3;

impl Problems {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(crate::error::FieldProblem {
            field: field.into(),
            message: message.into(),
        });
    }

    fn check(&mut self, ok: bool, field: &str, message: &str) {
        if !ok {
            self.add(field, message);
        }
    }

    /// `Err` naming every problem, if there was any.
    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::invalid_fields(self.0))
        }
    }

    /// One piece of text: at most `max` characters, and no control
    /// characters except line breaks and tabs where `multiline`.
    pub fn plain(&mut self, field: &str, text: &str, max: usize, multiline: bool) {
        self.check(
            text.chars().count() <= max,
            field,
            &format!("must be at most {max} characters"),
        );
        let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
        self.check(
            !text.chars().any(|c| c.is_control() && !allowed(c)),
            field,
            "must not contain control characters",
        );
    }

    /// The optional texts of a record, each named by its field (see
    /// [`Problems::localized`]).
    pub fn optional_texts<const N: usize>(&mut self, texts: [(&str, &Option<entity::values::LocalizedText>); N]) {
        for (field, text) in texts {
            if let Some(text) = text {
                self.localized(field, text, false, MAX_TEXT_CHARS);
            }
        }
    }

    /// A text in the official languages: Kyrgyz and Russian present and not
    /// blank (when `required`), English optional.
    pub fn localized(&mut self, field: &str, text: &entity::values::LocalizedText, required: bool, max: usize) {
        let multiline = max > MAX_NAME_CHARS;
        for (lang, value) in [("ky", &text.ky), ("ru", &text.ru), ("en", &text.en)] {
            let path = format!("{field}.{lang}");
            match value {
                Some(v) => {
                    self.check(!v.trim().is_empty(), &path, "must not be blank");
                    self.plain(&path, v, max, multiline);
                }
                None if required && lang != "en" => self.add(path, "is required (Kyrgyz and Russian)"),
                None => {}
            }
        }
    }

    pub fn ages(&mut self, min: Option<i32>, max: Option<i32>) {
        for (field, age) in [("ageMin", min), ("ageMax", max)] {
            if let Some(age) = age {
                self.check((0..=18).contains(&age), field, "must be between 0 and 18");
            }
        }
        if let (Some(min), Some(max)) = (min, max) {
            self.check(min <= max, "ageMin", "must not be above ageMax");
        }
    }

    /// A point inside Kyrgyzstan, or none: both coordinates or neither.
    pub fn coordinates(&mut self, latitude: Option<f64>, longitude: Option<f64>) {
        match (latitude, longitude) {
            (Some(lat), Some(lon)) => {
                self.check(
                    LATITUDES.contains(&lat),
                    "latitude",
                    "must lie in Kyrgyzstan (39.1 to 43.3)",
                );
                self.check(
                    LONGITUDES.contains(&lon),
                    "longitude",
                    "must lie in Kyrgyzstan (69.2 to 80.3)",
                );
            }
            (None, None) => {}
            (None, Some(_)) => self.add("latitude", "is required with a longitude"),
            (Some(_), None) => self.add("longitude", "is required with a latitude"),
        }
    }

    pub fn email(&mut self, field: &str, email: Option<&str>) {
        let Some(email) = email else { return };
        let well_formed = email.len() <= MAX_SHORT_CHARS
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            })
            && email.chars().all(|c| c.is_ascii_graphic());
        self.check(well_formed, field, "is not an e-mail address such as info@example.kg");
    }

    pub fn website(&mut self, field: &str, website: Option<&str>) {
        let Some(website) = website else { return };
        let well_formed = website.len() <= MAX_SHORT_CHARS
            && url::Url::parse(website).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        self.check(well_formed, field, "is not a web address such as https://example.kg");
    }

    /// Phone numbers: international (`+996 312 000 111`) or short national
    /// numbers (`111`): digits, spaces, dashes and brackets, 3 to 15 digits.
    pub fn phones(&mut self, field: &str, phones: &[entity::values::Phone]) {
        self.check(phones.len() <= 10, field, "at most 10 numbers");
        for (i, phone) in phones.iter().enumerate() {
            let number = phone.number.trim();
            let digits = number.chars().filter(char::is_ascii_digit).count();
            let well_formed = (3..=15).contains(&digits)
                && number.len() <= 32
                && number
                    .char_indices()
                    .all(|(at, c)| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')') || (c == '+' && at == 0));
            self.check(
                well_formed,
                &format!("{field}.{i}.number"),
                "is not a phone number such as +996 312 000 111 or 111",
            );
        }
    }

    pub fn languages(&mut self, field: &str, codes: &[String]) {
        if let Err(err) = language_codes(field, codes) {
            self.add(field, err.to_string());
        }
    }
}
