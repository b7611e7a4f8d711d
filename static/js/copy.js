// Copy buttons of the bank transfer details (templates/payments/_transfer.html).
