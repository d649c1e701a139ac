"""The fiscal calendar: months, quarters and years, and their open / closing / closed states."""
