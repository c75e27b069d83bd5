"""Drawing briefings: charts as PNG and SVG (matplotlib, Agg), captions, the HTML report."""
