"""E-licenses (电子证照): issued results, SM2 seals, public verification, revocation."""
