"""qbtransfer tests, and the QuickBooks and QBWC simulators they use."""
