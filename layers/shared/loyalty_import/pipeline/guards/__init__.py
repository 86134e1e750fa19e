"""The guards around an import: what keeps a wrong or repeated file from changing balances unseen.

Before anything is sent to Wix, `fingerprints` refuses balances already imported (ALREADY_IMPORTED).
Before execute, `snapshot` reads the balances the file will overwrite and writes the undo file, and
`balances` refuses a shift no routine update makes (BALANCE_SHIFT_SUSPICIOUS). After IMPORTED,
`verification` reads balances back and compares them with the file. `undo` tells a genuine undo
file (which may skip the shift and re-import checks) from one that only claims to be.
"""
