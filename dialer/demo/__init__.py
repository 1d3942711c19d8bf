"""`dialer demo`: a demo campaign of simulated debtors, called through real SIP on loopback."""
