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
