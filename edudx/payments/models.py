"""Payment data (bills, bank credits, allocations, receipts, the ledger)."""
