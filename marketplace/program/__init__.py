"""The coordination programme's targets and what counts towards them: training classes and
new youth cooperatives founded with the programme's support; the programme dashboard."""
