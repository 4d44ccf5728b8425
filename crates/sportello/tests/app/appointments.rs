//! Appointments (issue 7): tests are added with the booking slice.
