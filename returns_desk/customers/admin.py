# CustomerFlag is registered in returns/admin.py: a flag is changed through returns' service, which writes the
# change on the timeline of the customer's open returns (this app sits below returns and cannot call it).
