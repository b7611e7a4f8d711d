import click


@click.command("demo")
def demo():
    """Create the database, load demo data and serve the site."""
