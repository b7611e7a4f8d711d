"""Reviews and ratings from verified buyers, the cooperative's reply, moderation by agency staff.

Above orders (a review belongs to a delivered order item); nothing lower imports it.
"""
