"""Trade fairs and showcases: booths, fair prices, QR attribution, on-site sales and results."""
