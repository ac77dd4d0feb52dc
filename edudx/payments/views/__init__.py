"""Payment pages: paying a bill, the bank endpoint and simulator, bills, reconciliation and the books."""
