"""The pure core: plan model, money, crediting and evaluation. No I/O, no clock, no database."""
