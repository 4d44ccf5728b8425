//! The two-person rule of device movements (RA procedure, part 2: devices are kept under the
//! chamber's control, handed over and taken back by two people): one person records a
//! movement, a different person approves it, and only the approval moves the device. Write-offs
//! and the returns of a recall check it here.

use crate::accounts::Principal;

/// Who recorded or approves, as the records keep it: the user's id.
pub fn person(p: &Principal) -> String {
    p.user.id.clone()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the person who recorded the movement cannot approve it")]
pub struct SamePerson;

/// RA procedure, part 2: the approver of a movement is someone other than who recorded it.
pub fn second_person(recorded_by: &str, approver: &str) -> Result<(), SamePerson> {
    if recorded_by == approver {
        Err(SamePerson)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_person_who_recorded_a_movement_cannot_approve_it() {
        assert_eq!(second_person("u1", "u1"), Err(SamePerson));
        assert_eq!(second_person("u1", "u2"), Ok(()));
    }
}
