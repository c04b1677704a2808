"""The parents' flows behind the API, one module per function
(functions/X -> chiave.flows.X): plain functions over plain data and the
store. Steps several flows share are in chiave.steps; console and batch
jobs in chiave.jobs."""
