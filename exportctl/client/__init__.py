"""client: the Voucherify export API over HTTP only: requests, retries, the rate budget, the streaming download."""
