// Package shop is the tutorial's capstone as a shop people can buy from:
// its models (models.go), the ProductManager and reports, the
// transaction-safe PlaceOrder, the signal that keeps each product's
// average rating current, the storefront's handlers and the admin.
package shop
