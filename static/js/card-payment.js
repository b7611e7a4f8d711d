// Card payment page: loads Stripe.js, mounts the Payment Element and confirms the payment.
// Everything it needs comes from the form's data- attributes (no inline script: CSP).
// The order is marked paid by Stripe's signed webhook, never by this page.
(() => {
  const form = document.getElementById("card-payment-form");
  if (!form) return;
  const { stripeKey, clientSecret, returnUrl, locale, payingLabel, loadError } = form.dataset;
  const errorBox = form.querySelector("[data-card-error]");
  const button = form.querySelector("[data-card-submit]");
  const loading = form.querySelector("[data-card-loading]");
  const buttonLabel = button.textContent;

  const showError = (message) => {
    errorBox.textContent = message;
    errorBox.hidden = false;
  };

  const start = () => {
    const stripe = window.Stripe(stripeKey, { locale });
    const elements = stripe.elements({ clientSecret, locale });
    const payment = elements.create("payment");
    payment.on("ready", () => {
      if (loading) loading.remove();
      button.disabled = false;
    });
    payment.mount("#card-payment-element");

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      errorBox.hidden = true;
      button.disabled = true;
      button.textContent = payingLabel;
      // On success Stripe takes the customer to the return page; we only get here on an error.
      const { error } = await stripe.confirmPayment({ elements, confirmParams: { return_url: returnUrl } });
      if (error) showError(error.message || loadError);
      button.disabled = false;
      button.textContent = buttonLabel;
    });
  };

  const script = document.createElement("script");
  script.src = "https://js.stripe.com/v3/";
  script.addEventListener("load", () => {
    try {
      start();
    } catch (error) {
      showError(loadError);
    }
  });
  script.addEventListener("error", () => showError(loadError));
  document.head.appendChild(script);
})();
