"""tap-personio: a Singer tap for Personio employees and departments, built on the Meltano Singer SDK."""
