"""The email queue: emails are queued in the transaction that causes them and sent afterwards."""
